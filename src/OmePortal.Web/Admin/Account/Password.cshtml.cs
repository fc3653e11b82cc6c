using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Admin.Account;

/// <summary>
/// The admin changes their own password: the current one first, then a new one that passes Identity's
/// validators (length, common passwords). Every other session of the admin ends; this one continues with
/// a cookie of the new security stamp. An admin whose password a system admin chose lands here before
/// anything else (the admin middleware sends them).
/// </summary>
public sealed class PasswordModel(
    UserManager<AdminUser> users,
    SignInManager<AdminUser> signIn,
    AdminSessions sessions,
    AdminScope scope,
    AuditLog audit,
    IOptions<AdminOptions> options,
    IStringLocalizer<AdminResource> text) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public bool MustChange { get; private set; }

    public string Email { get; private set; } = string.Empty;

    public int MinimumPasswordLength => options.Value.MinimumPasswordLength;

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Redirect(AdminAuthentication.SignInPath);
        }

        Show(user);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Redirect(AdminAuthentication.SignInPath);
        }

        Show(user);
        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (!await users.CheckPasswordAsync(user, Input.CurrentPassword))
        {
            // A guess at the password from an open session counts like one at the sign-in page.
            await users.AccessFailedAsync(user);
            audit.Add(scope.TenantId, AuditEventKind.AdminSignInFailed, scope.Actor, detail: "password change: current password wrong");
            await users.UpdateAsync(user);
            ModelState.AddModelError("Input.CurrentPassword", text["CurrentPasswordWrong"]);
            return Page();
        }

        if (Input.NewPassword != Input.ConfirmPassword)
        {
            ModelState.AddModelError("Input.ConfirmPassword", text["PasswordsDiffer"]);
            return Page();
        }

        if (Input.NewPassword == Input.CurrentPassword)
        {
            ModelState.AddModelError("Input.NewPassword", text["PasswordUnchanged"]);
            return Page();
        }

        var changed = await users.ChangePasswordAsync(user, Input.CurrentPassword, Input.NewPassword);
        if (!changed.Succeeded)
        {
            foreach (var error in changed.Errors)
            {
                ModelState.AddModelError("Input.NewPassword", PasswordRules.Message(text, error, MinimumPasswordLength));
            }

            return Page();
        }

        var current = AdminSessions.CurrentId(User);
        var ended = await sessions.EndAllAsync(user.Id, keep: current, cancellationToken);
        user.MustChangePassword = false;
        audit.Add(scope.TenantId, AuditEventKind.AdminPasswordChanged, scope.Actor, detail: $"other sessions ended: {ended}");
        await users.UpdateAsync(user);

        // The password change gave the account a new security stamp, which would end this session too at the
        // next check: a cookie of the new stamp, for the same session, both factors as before.
        var identity = User.AdminIdentity()!;
        var carried = identity.FindAll(c => c.Type is AdminAuthentication.MethodClaim or AdminAuthentication.SessionClaim)
            .Select(c => new Claim(c.Type, c.Value)).ToList();
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, carried);
        return LocalRedirect("/admin/account/security?status=password-changed");
    }

    private void Show(AdminUser user)
    {
        MustChange = user.MustChangePassword;
        Email = user.Email ?? string.Empty;
    }

    [LocalizedWith(typeof(AdminResource))]
    public sealed class InputModel
    {
        [Required(ErrorMessage = "PasswordRequired")]
        [MaxLength(512, ErrorMessage = "PasswordRequired")]
        [Display(Name = "CurrentPasswordLabel")]
        public string CurrentPassword { get; set; } = string.Empty;

        [Required(ErrorMessage = "PasswordRequired")]
        [MaxLength(512, ErrorMessage = "PasswordRequired")]
        [Display(Name = "NewPasswordLabel")]
        public string NewPassword { get; set; } = string.Empty;

        [Display(Name = "ConfirmPasswordLabel")]
        public string? ConfirmPassword { get; set; }
    }
}
