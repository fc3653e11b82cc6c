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

    /// <summary>When the admin signed in (Unix seconds), for actions that need a recent sign-in.</summary>
    public const string SignedInAtClaim = "auth_time";

    /// <summary>The id of the server-side session (<see cref="AdminSessions"/>) the cookie belongs to.</summary>
    public const string SessionClaim = "omeportal:admin-session";

    /// <summary>Present while the admin's password was set by a system admin and must be changed first.</summary>
    public const string MustChangePasswordClaim = "omeportal:admin-must-change-password";

    public const string SignInPath = "/admin/account/signin";
    public const string EnrolPath = "/admin/account/enrol";
    public const string ChangePasswordPath = "/admin/account/password";

    /// <summary>The admin identity of the request, whatever the default scheme put in <see cref="HttpContext.User"/>.</summary>
    public static ClaimsIdentity? AdminIdentity(this ClaimsPrincipal user) =>
        user.Identities.FirstOrDefault(i => i.AuthenticationType == Scheme && i.IsAuthenticated);

    public static bool HasSecondFactor(this ClaimsIdentity identity) =>
        identity.HasClaim(MethodClaim, TwoFactorMethod);

    public static DateTimeOffset? SignedInAt(this ClaimsIdentity identity) =>
        long.TryParse(identity.FindFirst(SignedInAtClaim)?.Value, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    /// <summary>
    /// Identity rebuilds the principal from the database at every security stamp check and, by its own
    /// account, loses how the admin signed in; without this the second factor would be gone a minute
    /// after sign-in. The facts of the sign-in itself are carried over from the cookie's principal.
    /// </summary>
    public static Task KeepSignInFacts(SecurityStampRefreshingPrincipalContext context)
    {
        var current = context.CurrentPrincipal?.Identities.FirstOrDefault(i => i.AuthenticationType == Scheme);
        var renewed = context.NewPrincipal?.Identities.FirstOrDefault(i => i.AuthenticationType == Scheme);
        if (current is not null && renewed is not null)
        {
            foreach (var stale in renewed.FindAll(c => c.Type is MethodClaim or SignedInAtClaim or SessionClaim).ToList())
            {
                renewed.RemoveClaim(stale);
            }

            renewed.AddClaims(current.FindAll(c => c.Type is MethodClaim or SignedInAtClaim or SessionClaim).Select(c => new Claim(c.Type, c.Value)));
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Identity's sign-in with one rule more: a disabled account (<see cref="AdminUser.DisabledAt"/>) cannot
/// sign in by any path (password, authenticator, passkey), as Identity's own pre-sign-in check asks this.
/// </summary>
public sealed class AdminSignInManager(
    UserManager<AdminUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<AdminUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<AdminUser>> logger,
    Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider schemes,
    IUserConfirmation<AdminUser> confirmation)
    : SignInManager<AdminUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(AdminUser user) =>
        user.DisabledAt is null && await base.CanSignInAsync(user);
}

/// <summary>Adds the sign-in time and the tenant claim, so that <see cref="AdminScope"/> needs no database round trip for tenant admins.</summary>
public sealed class AdminClaimsPrincipalFactory(UserManager<AdminUser> users, IOptions<IdentityOptions> options, TimeProvider time)
    : UserClaimsPrincipalFactory<AdminUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(AdminUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(AdminAuthentication.SignedInAtClaim, time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (user.TenantId is { } tenantId)
        {
            identity.AddClaim(new Claim(AdminAuthentication.TenantClaim, tenantId.ToString()));
        }

        // Read at every sign-in and security stamp check, so the admin middleware needs no query for it.
        if (user.MustChangePassword)
        {
            identity.AddClaim(new Claim(AdminAuthentication.MustChangePasswordClaim, "true"));
        }

        return identity;
    }
}
