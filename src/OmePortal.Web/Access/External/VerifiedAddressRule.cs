using System.Security.Claims;
using OmePortal.Core.Mime;

namespace OmePortal.Web.Access.External;

/// <summary>What an external sign-in proved about the account's address.</summary>
public abstract record ExternalAddress
{
    private ExternalAddress() { }

    /// <summary>The identity provider vouches for this (normalised) address.</summary>
    public sealed record Verified(string Address) : ExternalAddress;

    /// <summary>The token carries no address that the identity provider marks as verified.</summary>
    public sealed record Unverified : ExternalAddress;

    /// <summary>The account's directory (<c>tid</c>) is not one of the allowed tenants.</summary>
    public sealed record TenantNotAllowed : ExternalAddress;
}

/// <summary>Which claims an identity provider's tokens can be trusted with.</summary>
public enum ExternalProviderKind
{
    /// <summary>Microsoft Entra ID / Microsoft accounts (the v2.0 endpoint): knows <c>xms_edov</c> and the personal-accounts tenant.</summary>
    Microsoft,

    /// <summary>Any other OpenID Connect provider: only the standard <c>email</c> + <c>email_verified</c> pair.</summary>
    OpenIdConnect,
}

/// <summary>
/// The one rule that turns an external ID token into a recipient address (the "nOAuth" problem:
/// a multi-tenant directory lets its users type any value into their mail attribute, so an
/// <c>email</c> claim alone proves nothing about who controls that mailbox).
/// <list type="number">
/// <item>If allowed tenants are configured, the token's <c>tid</c> must be one of them (the libraries do not check this).</item>
/// <item><c>email</c> is accepted only when the provider marks it verified: <c>email_verified</c> is true,
/// or — for Microsoft only — Entra's optional claim <c>xms_edov</c> ("email domain owner verified") is true.</item>
/// <item>For a Microsoft personal account (tenant <see cref="MicrosoftPersonalAccountsTenantId"/>) the sign-in
/// name <c>preferred_username</c> is the account's own, verified mailbox and is accepted.</item>
/// <item>Anything else is refused: no fallback to <c>upn</c>, <c>unique_name</c> or an unverified <c>email</c>.</item>
/// </list>
/// The accepted address is normalised (<see cref="AddressNormalizer"/>) and must be a valid mailbox address.
/// </summary>
public static class VerifiedAddressRule
{
    /// <summary>The directory that holds every Microsoft personal account (outlook.com, hotmail.com, live.com, ...).</summary>
    public const string MicrosoftPersonalAccountsTenantId = "9188040d-6c67-4c5b-b112-36a304b66dad";

    public static ExternalAddress Evaluate(IEnumerable<Claim> claims, ExternalProviderKind kind, IReadOnlyCollection<string> allowedTenantIds)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var byType = claims.GroupBy(c => c.Type, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var tenantId = byType.GetValueOrDefault("tid");

        if (allowedTenantIds.Count > 0 && (tenantId is null || !allowedTenantIds.Any(allowed => SameTenant(allowed, tenantId))))
        {
            return new ExternalAddress.TenantNotAllowed();
        }

        var emailVerified = IsTrue(byType.GetValueOrDefault("email_verified"))
            || (kind == ExternalProviderKind.Microsoft && IsTrue(byType.GetValueOrDefault("xms_edov")));
        if (emailVerified && Usable(byType.GetValueOrDefault("email")) is { } email)
        {
            return new ExternalAddress.Verified(email);
        }

        if (kind == ExternalProviderKind.Microsoft && tenantId is not null && SameTenant(tenantId, MicrosoftPersonalAccountsTenantId)
            && Usable(byType.GetValueOrDefault("preferred_username")) is { } personal)
        {
            return new ExternalAddress.Verified(personal);
        }

        return new ExternalAddress.Unverified();
    }

    private static string? Usable(string? address) =>
        AddressNormalizer.IsValid(address) ? AddressNormalizer.Normalize(address!) : null;

    // Providers write booleans as JSON true (read back as "true"); some write the string or 1.
    private static bool IsTrue(string? value) =>
        string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) || value == "1";

    private static bool SameTenant(string a, string b) =>
        Guid.TryParse(a, out var x) && Guid.TryParse(b, out var y) ? x == y : string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
