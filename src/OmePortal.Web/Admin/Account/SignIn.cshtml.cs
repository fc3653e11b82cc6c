using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authentication;
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
/// First factor: email and password (Identity, with lockout). The second factor follows on
/// <see cref="TwoFactorModel"/>; an admin without an authenticator yet is sent to enrol one.
/// </summary>
[EnableRateLimiting(AdminExtensions.SignInRateLimit)]
public sealed partial class SignInModel(
    SignInManager<AdminUser> signIn,
    AdminSignInAudit audit,
    IStringLocalizer<AdminResource> text,
    ILogger<SignInModel> logger) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Status { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        // Old half-finished sign-ins must not carry over.
        await HttpContext.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        var user = await signIn.UserManager.FindByEmailAsync(Input.Email.Trim());
        Microsoft.AspNetCore.Identity.SignInResult result;
        if (user is null)
        {
            // The same password hashing as for a known account, so the answer's timing does not tell
            // which addresses have one.
            VerifyAgainstNobody(signIn.UserManager.PasswordHasher, Input.Password);
            result = Microsoft.AspNetCore.Identity.SignInResult.Failed;
        }
        else
        {
            result = await signIn.PasswordSignInAsync(user, Input.Password, isPersistent: false, lockoutOnFailure: true);
            if (result.IsNotAllowed)
            {
                // A disabled account is refused before its password is checked: the same work as for the others.
                VerifyAgainstNobody(signIn.UserManager.PasswordHasher, Input.Password);
            }
        }

        var target = HostingExtensions.IsLocal(ReturnUrl) && ReturnUrl!.StartsWith("/admin", StringComparison.OrdinalIgnoreCase) ? ReturnUrl : null;
        if (result.RequiresTwoFactor)
        {
            return Redirect("/admin/account/twofactor" + (target is null ? string.Empty : "?returnUrl=" + Uri.EscapeDataString(target)));
        }

        if (result.Succeeded)
        {
            // Password only (no authenticator yet): the cookie reaches the enrolment page and nothing else.
            return Redirect(AdminAuthentication.EnrolPath);
        }

        LogFailed(result.IsLockedOut);
        if (user is not null)
        {
            await audit.FailedAsync(user, result.IsLockedOut ? "password; locked out" : result.IsNotAllowed ? "password; account disabled" : "password", cancellationToken);
        }

        // One message whether the address is unknown, the password wrong or the account locked: the
        // password step must not tell a guesser which addresses are admins.
        Error = text["SignInFailed"];
        return Page();
    }

    private static readonly AdminUser Nobody = new() { Id = Guid.Empty, UserName = "nobody" };
    private static string? nobodysHash;

    private static void VerifyAgainstNobody(IPasswordHasher<AdminUser> hasher, string password)
    {
        nobodysHash ??= hasher.HashPassword(Nobody, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
        _ = hasher.VerifyHashedPassword(Nobody, nobodysHash, password);
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Admin password sign-in failed (locked out: {LockedOut}).")]
    private partial void LogFailed(bool lockedOut);

    [LocalizedWith(typeof(AdminResource))]
    public sealed class InputModel
    {
        [Required(ErrorMessage = "EmailRequired")]
        [EmailAddress(ErrorMessage = "EmailInvalid")]
        [MaxLength(256, ErrorMessage = "EmailInvalid")]
        [Display(Name = "EmailLabel")]
        public string Email { get; set; } = string.Empty;

        [Required(ErrorMessage = "PasswordRequired")]
        [MaxLength(512, ErrorMessage = "PasswordRequired")]
        [Display(Name = "PasswordLabel")]
        public string Password { get; set; } = string.Empty;
    }
}
