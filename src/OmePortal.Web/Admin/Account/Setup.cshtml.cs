using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Admin.Account;

/// <summary>
/// Redeeming a single-use link: the first-run setup link (creates the system admin, only while none
/// exists) or an invitation to become a tenant's admin (address fixed by the inviter).
/// </summary>
[EnableRateLimiting(AdminExtensions.SignInRateLimit)]
public sealed class SetupModel(
    AdminAccounts accounts,
    UserManager<AdminUser> users,
    OmePortalDbContext db,
    AuditLog audit,
    IOptions<AdminOptions> options,
    IStringLocalizer<AdminResource> text) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public AdminInvitation? Invitation { get; private set; }

    public string? TenantName { get; private set; }

    public int MinimumPasswordLength => options.Value.MinimumPasswordLength;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (Invitation is null)
        {
            return Page();
        }

        var email = Invitation.Email ?? Input.Email?.Trim() ?? string.Empty;
        if (Invitation.Email is null && (string.IsNullOrEmpty(email) || !new EmailAddressAttribute().IsValid(email)))
        {
            ModelState.AddModelError("Input.Email", text[string.IsNullOrEmpty(email) ? "EmailRequired" : "EmailInvalid"]);
        }

        if (Input.Password != Input.ConfirmPassword)
        {
            ModelState.AddModelError("Input.ConfirmPassword", text["PasswordsDiffer"]);
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (await users.FindByEmailAsync(email) is not null)
        {
            ModelState.AddModelError("Input.Email", text["EmailTaken"]);
            return Page();
        }

        var (redeemed, errors) = await accounts.RedeemAsync(Token!, email, Input.Password, cancellationToken);
        if (redeemed is null)
        {
            Invitation = null;
            return Page();
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                ModelState.AddModelError("Input.Password", error.Code.StartsWith("Password", StringComparison.Ordinal)
                    ? PasswordRules.Message(text, error, MinimumPasswordLength) : error.Description);
            }

            return Page();
        }

        var tenantId = redeemed.TenantId ?? (await AdminScope.DefaultTenantAsync(db, cancellationToken))?.Id;
        if (tenantId is { } id)
        {
            await audit.RecordAsync(id, AuditEventKind.AdminChanged, email,
                detail: redeemed.TenantId is null ? "system admin created with the setup link" : "admin created from an invitation", cancellationToken: cancellationToken);
        }

        return Redirect(AdminAuthentication.SignInPath + "?status=created");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Invitation = await accounts.FindInvitationAsync(Token, cancellationToken);
        if (Invitation is { TenantId: null } && await accounts.AnyAdminAsync(cancellationToken))
        {
            Invitation = null; // the setup link ends once an admin exists
        }

        if (Invitation?.TenantId is { } tenantId)
        {
            TenantName = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.Name).FirstOrDefaultAsync(cancellationToken);
        }
    }

    [LocalizedWith(typeof(AdminResource))]
    public sealed class InputModel
    {
        [MaxLength(256, ErrorMessage = "EmailInvalid")]
        [Display(Name = "EmailLabel")]
        public string? Email { get; set; }

        [Required(ErrorMessage = "PasswordRequired")]
        [MaxLength(512, ErrorMessage = "PasswordRequired")]
        [Display(Name = "PasswordLabel")]
        public string Password { get; set; } = string.Empty;

        [Display(Name = "ConfirmPasswordLabel")]
        public string? ConfirmPassword { get; set; }
    }
}
