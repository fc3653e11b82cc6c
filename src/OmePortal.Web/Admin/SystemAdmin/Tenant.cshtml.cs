using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;
using OmePortal.Web.Rules;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin.SystemAdmin;

/// <summary>
/// One tenant (system admin only): its accepted domains (the senders it may use; without any it accepts no
/// mail), its admins, and a new admin with an initial password or an invitation link (shown once). Review
/// first, then confirm.
/// </summary>
public sealed class TenantModel(
    OmePortalDbContext db,
    AdminScope scope,
    AdminAccounts accounts,
    UserManager<AdminUser> users,
    AuditLog audit,
    RuleStore rules,
    PublicUrls urls,
    IOptions<AdminOptions> options,
    TimeProvider time,
    IStringLocalizer<AdminResource> text) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public Tenant Tenant { get; private set; } = null!;

    public IReadOnlyList<AdminUser> Admins { get; private set; } = [];

    /// <summary>The accepted domains, one per line (the form's value).</summary>
    [BindProperty]
    public string? AcceptedDomains { get; set; }

    public bool HasAcceptedDomains { get; private set; }

    public bool Reviewing { get; private set; }

    public DateTimeOffset InvitationExpiresAt => time.GetUtcNow() + options.Value.InvitationLifetime;

    public string? Notice { get; private set; }

    /// <summary>The invitation link, on the one response that shows it.</summary>
    public string? InvitationLink { get; private set; }

    public int MinimumPasswordLength => options.Value.MinimumPasswordLength;

    public async Task<IActionResult> OnGetAsync(Guid id, string? created, string? domains, string? removed, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        if (created is not null)
        {
            Notice = text["AdminCreated", created];
        }
        else if (removed is not null)
        {
            Notice = text["AccountRemovedNotice", removed];
        }
        else if (domains == "saved")
        {
            Notice = text["AcceptedDomainsSaved"];
        }

        return Page();
    }

    public async Task<IActionResult> OnPostReviewAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        await ValidateAsync();
        Reviewing = ModelState.IsValid;
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        await ValidateAsync();
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var email = Input.Email.Trim();
        if (string.IsNullOrEmpty(Input.Password))
        {
            var token = await accounts.CreateInvitationAsync(Tenant.Id, email, cancellationToken);
            await audit.RecordAsync(Tenant.Id, AuditEventKind.AdminChanged, scope.Actor, detail: $"admin invitation for {email}", cancellationToken: cancellationToken);
            InvitationLink = $"{urls.BaseUrl}{AdminAccounts.SetupPath}?token={token}";
            Input = new InputModel();
            ModelState.Clear();
            return Page();
        }

        // The system admin knows this password: its owner replaces it at first sign-in.
        var created = await accounts.CreateAsync(Tenant.Id, email, Input.Password, mustChangePassword: true);
        if (!created.Succeeded)
        {
            foreach (var error in created.Errors)
            {
                ModelState.AddModelError(error.Code.StartsWith("Password", StringComparison.Ordinal) ? "Input.Password" : "Input.Email",
                    error.Code.StartsWith("Password", StringComparison.Ordinal) ? PasswordRules.Message(text, error, MinimumPasswordLength) : text["EmailTaken"]);
            }

            return Page();
        }

        await audit.RecordAsync(Tenant.Id, AuditEventKind.AdminChanged, scope.Actor, detail: $"admin {email} created", cancellationToken: cancellationToken);
        return Redirect($"/admin/system/tenant/{Tenant.Id}?created={Uri.EscapeDataString(email)}");
    }

    public async Task<IActionResult> OnPostDomainsAsync(Guid id, CancellationToken cancellationToken)
    {
        var posted = AcceptedDomains;
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        var lines = (posted ?? string.Empty).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (!await rules.SetDomainsAsync(Tenant.Id, lines, scope.Actor, cancellationToken))
        {
            AcceptedDomains = posted;
            ModelState.AddModelError(nameof(AcceptedDomains), text["AcceptedDomainsInvalid"]);
            return Page();
        }

        return Redirect($"/admin/system/tenant/{Tenant.Id}?domains=saved");
    }

        private async Task ValidateAsync()
    {
        if (!ModelState.IsValid)
        {
            return;
        }

        if (await users.FindByEmailAsync(Input.Email.Trim()) is not null)
        {
            ModelState.AddModelError("Input.Email", text["EmailTaken"]);
        }

        if (!string.IsNullOrEmpty(Input.Password))
        {
            foreach (var validator in users.PasswordValidators)
            {
                var check = await validator.ValidateAsync(users, new AdminUser(), Input.Password);
                if (!check.Succeeded)
                {
                    ModelState.AddModelError("Input.Password", PasswordRules.Message(text, check.Errors.First(), MinimumPasswordLength));
                    break;
                }
            }
        }
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (tenant is null)
        {
            return false;
        }

        Tenant = tenant;
        Admins = await db.ForTenant(id).Admins.AsNoTracking().OrderBy(u => u.Email).ToListAsync(cancellationToken);
        var domains = await rules.DomainsAsync(id, cancellationToken);
        HasAcceptedDomains = domains.Count > 0;
        AcceptedDomains ??= string.Join('\n', domains);
        return true;
    }

    [LocalizedWith(typeof(AdminResource))]
    public sealed class InputModel
    {
        [Required(ErrorMessage = "EmailRequired")]
        [EmailAddress(ErrorMessage = "EmailInvalid")]
        [MaxLength(256, ErrorMessage = "EmailInvalid")]
        [Display(Name = "EmailLabel")]
        public string Email { get; set; } = string.Empty;

        [MaxLength(512, ErrorMessage = "PasswordRequired")]
        [Display(Name = "InitialPasswordLabel")]
        public string? Password { get; set; }
    }
}
