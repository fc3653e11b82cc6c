using System.Text.RegularExpressions;

namespace OmePortal.Web.Access.External;

/// <summary>One generic OpenID Connect provider, from <c>OmePortal:ExternalSignIn:Providers:&lt;name&gt;</c>.</summary>
public sealed class ExternalProviderOptions
{
    /// <summary>The button text ("Sign in with Google"); the same in every language, as the provider's name is.</summary>
    public string? DisplayName { get; set; }

    /// <summary>The issuer; its <c>/.well-known/openid-configuration</c> is read for everything else.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>Or, instead, a certificate: <c>ClientCredentials</c> as for <c>AzureAd</c> (see <see cref="ExternalClientCredentials"/>).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// The <c>aud</c> of the client assertion when a certificate is the credential: the issuer (RFC 7523bis,
    /// the default) or, for servers that predate it, <see cref="ClientAssertionAudience.TokenEndpoint"/>.
    /// </summary>
    public ClientAssertionAudience ClientAssertionAudience { get; set; } = ClientAssertionAudience.Issuer;

    /// <summary>Scopes beyond <c>openid</c>; <c>email</c> and <c>profile</c> when none are given.</summary>
    public string[] Scopes { get; set; } = [];

    /// <summary>When not empty, only tokens whose <c>tid</c> claim is listed are accepted.</summary>
    public string[] AllowedTenantIds { get; set; } = [];

    /// <summary>
    /// When not empty, the portal tenants (their ids) whose messages a session of this provider may open;
    /// messages of other tenants answer "sign in another way". Not the provider's own directories (see <see cref="AllowedTenantIds"/>).
    /// </summary>
    public string[] Tenants { get; set; } = [];

    /// <summary>Defaults to <c>/signin-oidc-&lt;name&gt;</c>; must be registered at the provider as redirect URI.</summary>
    public string? CallbackPath { get; set; }

    /// <summary>Plain-http metadata is refused unless this is false (only ever for a local test provider).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}

/// <summary>An external sign-in that is configured and registered as an authentication scheme.</summary>
/// <param name="Name">The route name (<c>/signin/external/{Name}</c>): <c>microsoft</c> or the configured provider name.</param>
/// <param name="Scheme">The authentication scheme.</param>
/// <param name="DisplayName">The button text, or null for the localised "Sign in with Microsoft".</param>
/// <param name="Method">What the recipient session and the audit log record.</param>
/// <param name="Origin">The provider's origin, which the sign-in form may be redirected to (CSP <c>form-action</c>).</param>
public sealed record ExternalProvider(
    string Name,
    string Scheme,
    string? DisplayName,
    ExternalProviderKind Kind,
    string Method,
    IReadOnlyCollection<string> AllowedTenantIds,
    string CallbackPath,
    string? Origin)
{
    /// <summary>The portal tenants whose messages this provider's sessions may open; empty for all.</summary>
    public IReadOnlySet<Guid> Tenants { get; init; } = new HashSet<Guid>();
}

/// <summary>The configured external sign-ins, in button order (Microsoft first).</summary>
public sealed partial class ExternalProviders(IReadOnlyList<ExternalProvider> providers)
{
    public const string MicrosoftName = "microsoft";
    public const string MicrosoftScheme = "Microsoft";
    public const string MicrosoftMethod = OmePortal.Core.Access.SignInChoices.MicrosoftMethod;
    public const string ProvidersSection = "OmePortal:ExternalSignIn:Providers";

    public IReadOnlyList<ExternalProvider> All { get; } = providers;

    public bool Any => All.Count > 0;

    public ExternalProvider? ByName(string? name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    public ExternalProvider? ByScheme(string scheme) => All.FirstOrDefault(p => p.Scheme == scheme);

    /// <summary>The provider whose sessions record <paramref name="method"/> (<see cref="ExternalProvider.Method"/>).</summary>
    public ExternalProvider? ByMethod(string? method) => All.FirstOrDefault(p => string.Equals(p.Method, method, StringComparison.Ordinal));

    /// <summary>
    /// The portal tenant ids of <c>Providers:&lt;name&gt;:Tenants</c>; a start-up error for anything that is not one,
    /// since a mistyped id would otherwise shut the provider out of every tenant without a word.
    /// </summary>
    public static HashSet<Guid> ParseTenants(string provider, IEnumerable<string> values)
    {
        var tenants = new HashSet<Guid>();
        foreach (var value in values)
        {
            if (!Guid.TryParse(value, out var tenant) || tenant == Guid.Empty)
            {
                throw new InvalidOperationException($"{ProvidersSection}:{provider}:Tenants: '{value}' is not a tenant id (a GUID).");
            }

            tenants.Add(tenant);
        }

        return tenants;
    }

    /// <summary>Provider names become route segments, scheme names and a session method of at most 32 characters.</summary>
    public static bool IsValidName(string name) => ProviderName().IsMatch(name) && !string.Equals(name, MicrosoftName, StringComparison.OrdinalIgnoreCase);

    public static string? OriginOf(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,23}$")]
    private static partial Regex ProviderName();
}
