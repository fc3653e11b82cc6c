using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OmePortal.Data;

namespace OmePortal.Web.Admin;

/// <summary>
/// The admin cookies. Identity's <see cref="SignInManager{TUser}"/> signs in with the scheme names of
/// <see cref="IdentityConstants"/>; they are registered here with admin cookie names and never as the
/// default scheme, so the recipient cookie stays what every portal page sees.
/// </summary>
public static class AdminAuthentication
{
    public const string Scheme = "Identity.Application"; // IdentityConstants.ApplicationScheme
    public const string CookieName = "__Host-omeportal-admin";
    public const string TwoFactorCookieName = "__Host-omeportal-admin-2fa";
    public const string RememberCookieName = "__Host-omeportal-admin-remember";

    /// <summary>The system admin's choice of tenant to act for (a preference; ignored for tenant admins).</summary>
    public const string ActingTenantCookieName = "__Host-omeportal-admin-tenant";

    /// <summary>Set on tenant admins: the only tenant they may see. Absent on system admins.</summary>
    public const string TenantClaim = "omeportal:admin-tenant";

    /// <summary>Identity puts <c>amr=mfa</c> on a sign-in that passed the second factor; the policies ask for it.</summary>
    public const string MethodClaim = "amr";
    public const string TwoFactorMethod = "mfa";

    public const string SignInPath = "/admin/account/signin";
    public const string EnrolPath = "/admin/account/enrol";

    /// <summary>The admin identity of the request, whatever the default scheme put in <see cref="HttpContext.User"/>.</summary>
    public static ClaimsIdentity? AdminIdentity(this ClaimsPrincipal user) =>
        user.Identities.FirstOrDefault(i => i.AuthenticationType == Scheme && i.IsAuthenticated);

    public static bool HasSecondFactor(this ClaimsIdentity identity) =>
        identity.HasClaim(MethodClaim, TwoFactorMethod);
}

/// <summary>Adds the tenant claim, so that <see cref="AdminScope"/> needs no database round trip for tenant admins.</summary>
public sealed class AdminClaimsPrincipalFactory(UserManager<AdminUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<AdminUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AdminUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.TenantId is { } tenantId)
        {
            identity.AddClaim(new Claim(AdminAuthentication.TenantClaim, tenantId.ToString()));
        }

        return identity;
    }
}
