using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Admin.Account;

/// <summary>
/// Second factor: the authenticator code (or a single-use recovery code) for the user whose password
/// was checked moments ago (Identity's short-lived two-factor cookie). Wrong codes count towards lockout.
/// </summary>
[EnableRateLimiting(AdminExtensions.SignInRateLimit)]
public sealed class TwoFactorModel(SignInManager<AdminUser> signIn, AdminSignInAudit audit, IStringLocalizer<AdminResource> text) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? Redirect(AdminAuthentication.SignInPath + "?status=expired") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return Redirect(AdminAuthentication.SignInPath + "?status=expired");
        }

        var code = new string((Input.Code ?? string.Empty).Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());
        var recovery = (Input.RecoveryCode ?? string.Empty).Trim().Replace(" ", string.Empty, StringComparison.Ordinal);
        if (code.Length == 0 && recovery.Length == 0)
        {
            ModelState.AddModelError("Input.Code", text["CodeRequired"]);
            return Page();
        }

        var usedRecovery = code.Length == 0;
        Microsoft.AspNetCore.Identity.SignInResult result;
        if (usedRecovery)
        {
            // Identity neither checks the lockout before a recovery code nor counts a wrong one
            // ("codes are expected to be random"); here they are a second factor like the app's codes.
            if (await signIn.UserManager.IsLockedOutAsync(user))
            {
                result = Microsoft.AspNetCore.Identity.SignInResult.LockedOut;
            }
            else
            {
                result = await signIn.TwoFactorRecoveryCodeSignInAsync(recovery);
                if (!result.Succeeded)
                {
                    await signIn.UserManager.AccessFailedAsync(user);
                }
            }
        }
        else
        {
            result = await signIn.TwoFactorAuthenticatorSignInAsync(code, isPersistent: false, rememberClient: false);
        }

        if (result.Succeeded)
        {
            await audit.SignedInAsync(user, usedRecovery ? "password + recovery code" : "password + authenticator", cancellationToken);
            var target = HostingExtensions.IsLocal(ReturnUrl) && ReturnUrl!.StartsWith("/admin", StringComparison.OrdinalIgnoreCase) ? ReturnUrl : "/admin";
            return LocalRedirect(target);
        }

        // SignInManager has counted the wrong code towards lockout already.
        var lockedOut = result.IsLockedOut || await signIn.UserManager.IsLockedOutAsync(user);
        await audit.FailedAsync(user, (usedRecovery ? "recovery code" : "authenticator") + (lockedOut ? "; locked out" : string.Empty), cancellationToken);
        Error = lockedOut ? text["LockedOut"] : usedRecovery ? text["RecoveryCodeWrong"] : text["CodeWrong"];
        return Page();
    }

    [LocalizedWith(typeof(AdminResource))]
    public sealed class InputModel
    {
        [MaxLength(16, ErrorMessage = "CodeWrong")]
        [Display(Name = "CodeLabel")]
        public string? Code { get; set; }

        [MaxLength(64, ErrorMessage = "RecoveryCodeWrong")]
        [Display(Name = "RecoveryCodeLabel")]
        public string? RecoveryCode { get; set; }
    }
}
