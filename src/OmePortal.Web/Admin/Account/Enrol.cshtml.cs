using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Admin.Account;

/// <summary>
/// Enrolling the authenticator app: the only page an admin signed in with the password alone can reach.
/// A correct code turns two-factor sign-in on, shows the recovery codes once and upgrades the session
/// to a two-factor one (the code just proved the second factor).
/// </summary>
[EnableRateLimiting(AdminExtensions.SignInRateLimit)]
public sealed class EnrolModel(
    UserManager<AdminUser> users,
    SignInManager<AdminUser> signIn,
    AuthenticatorEnrolment enrolment,
    AdminSignInAudit signInAudit,
    AuditLog audit,
    OmePortalDbContext db,
    IStringLocalizer<AdminResource> text) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public string Key { get; private set; } = string.Empty;

    public string QrDataUri { get; private set; } = string.Empty;

    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Redirect(AdminAuthentication.SignInPath);
        }

        if (user.TwoFactorEnabled)
        {
            return Redirect("/admin");
        }

        (Key, QrDataUri) = await enrolment.GetOrCreateAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Redirect(AdminAuthentication.SignInPath);
        }

        if (user.TwoFactorEnabled)
        {
            return Redirect("/admin");
        }

        var code = new string((Input.Code ?? string.Empty).Where(char.IsAsciiDigit).ToArray());
        if (code.Length == 0 || !await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, code))
        {
            await users.AccessFailedAsync(user);
            if (await users.IsLockedOutAsync(user))
            {
                await signIn.SignOutAsync();
                await signInAudit.FailedAsync(user, "authenticator enrolment; locked out", cancellationToken);
                return Redirect(AdminAuthentication.SignInPath);
            }

            Error = text["CodeWrong"];
            (Key, QrDataUri) = await enrolment.GetOrCreateAsync(user);
            return Page();
        }

        await users.SetTwoFactorEnabledAsync(user, true);
        await users.ResetAccessFailedCountAsync(user);
        RecoveryCodes = [.. await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10) ?? []];
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [new Claim(AdminAuthentication.MethodClaim, AdminAuthentication.TwoFactorMethod)]);
        if (await signInAudit.TenantOfAsync(user, cancellationToken) is { } tenantId)
        {
            audit.Add(tenantId, AuditEventKind.AdminChanged, user.Email ?? user.Id.ToString(), detail: "authenticator enrolled");
            audit.Add(tenantId, AuditEventKind.AdminSignedIn, user.Email ?? user.Id.ToString(), detail: "password + authenticator (enrolment)");
            await db.SaveChangesAsync(cancellationToken);
        }

        return Page();
    }

    [LocalizedWith(typeof(AdminResource))]
    public sealed class InputModel
    {
        [MaxLength(16, ErrorMessage = "CodeWrong")]
        [Display(Name = "CodeLabel")]
        public string? Code { get; set; }
    }
}
