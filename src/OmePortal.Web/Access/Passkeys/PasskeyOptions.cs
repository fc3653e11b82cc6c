using System.ComponentModel.DataAnnotations;
using System.Net;

namespace OmePortal.Web.Access.Passkeys;

/// <summary>
/// The WebAuthn relying party (section <c>OmePortal:Passkeys</c>). WebAuthn binds a passkey to a host
/// name (the RP id) and checks the page origin on every use, so both come from configuration; when
/// unset they are derived from the portal's public base URL (<c>OmePortal:PublicBaseUrl</c>, else the first
/// listening address), with <c>localhost</c> as the RP id when that URL has no host name.
/// </summary>
public sealed class PasskeyOptions : IValidatableObject
{
    public const string Section = "OmePortal:Passkeys";

    /// <summary>A host name such as <c>portal.example.com</c> (never an IP address: browsers refuse those).</summary>
    public string? RelyingPartyId { get; set; }

    [Required]
    [MaxLength(100)]
    public string RelyingPartyName { get; set; } = "OmePortal";

    /// <summary>Exact origins the portal is served from, e.g. <c>https://portal.example.com</c>.</summary>
    public List<string> Origins { get; set; } = [];

    /// <summary>How long a browser has to answer a registration or sign-in request.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:15:00")]
    public TimeSpan CeremonyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How recent the sign-in of a session must be for it to add a passkey (a passkey outlives every session,
    /// so a session left open on a shared computer must not be able to mint one). Older sessions are asked to
    /// sign in again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "12:00:00")]
    public TimeSpan RegistrationSignInMaxAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Whether a session signed in at <paramref name="signedInAt"/> may add a passkey at <paramref name="now"/>.</summary>
    public bool SignInIsRecentEnough(DateTimeOffset? signedInAt, DateTimeOffset now) =>
        signedInAt is { } at && now - at <= RegistrationSignInMaxAge;

    /// <summary>Fills in the RP id and origin from the public base URL when they were not configured.</summary>
    public void DeriveDefaults(string? publicBaseUrl)
    {
        Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var baseUri);
        if (string.IsNullOrWhiteSpace(RelyingPartyId))
        {
            RelyingPartyId = baseUri is not null && baseUri.HostNameType == UriHostNameType.Dns ? baseUri.IdnHost : "localhost";
        }

        if (Origins.Count == 0 && baseUri is not null)
        {
            Origins.Add(baseUri.GetLeftPart(UriPartial.Authority));
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(RelyingPartyId)
            && (IPAddress.TryParse(RelyingPartyId.Trim('[', ']'), out _) || Uri.CheckHostName(RelyingPartyId) != UriHostNameType.Dns))
        {
            yield return new ValidationResult("OmePortal:Passkeys:RelyingPartyId must be a host name (not an IP address).", [nameof(RelyingPartyId)]);
        }

        foreach (var origin in Origins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                || uri.GetLeftPart(UriPartial.Authority) != origin.TrimEnd('/'))
            {
                yield return new ValidationResult($"OmePortal:Passkeys:Origins: '{origin}' is not an origin like https://portal.example.com.", [nameof(Origins)]);
            }
        }
    }
}
