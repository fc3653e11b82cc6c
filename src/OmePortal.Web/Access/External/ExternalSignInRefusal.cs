using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace OmePortal.Web.Access.External;

public enum ExternalRefusalKind
{
    /// <summary>The provider or the handler failed (cancelled, tampered state or nonce, invalid token).</summary>
    Failed,

    /// <summary>The account has no address the provider marks as verified.</summary>
    Unverified,

    /// <summary>The account's directory is not allowed.</summary>
    TenantNotAllowed,

    /// <summary>A verified address, but not the one the message was sent to.</summary>
    Mismatch,
}

/// <summary>
/// Why an external sign-in was refused, carried to the refusal page in the query string. It is
/// protected (encrypted and signed, valid 15 minutes) so that nobody can make the page name the
/// recipient of a message they do not hold the link of.
/// </summary>
/// <param name="LinkToken">The link the sign-in started from, if any: the page names its recipient and offers its passcode.</param>
public sealed record ExternalSignInRefusal(ExternalRefusalKind Kind, string? LinkToken)
{
    private const string Purpose = "OmePortal.ExternalSignIn.Refusal";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    public string Protect(IDataProtectionProvider provider) =>
        provider.CreateProtector(Purpose).ToTimeLimitedDataProtector().Protect(JsonSerializer.Serialize(this), Lifetime);

    public static ExternalSignInRefusal? Unprotect(IDataProtectionProvider provider, string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 2000)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ExternalSignInRefusal>(provider.CreateProtector(Purpose).ToTimeLimitedDataProtector().Unprotect(value));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }

    public string PageUrl(IDataProtectionProvider provider) => "/signin/external/refused?r=" + Uri.EscapeDataString(Protect(provider));
}
