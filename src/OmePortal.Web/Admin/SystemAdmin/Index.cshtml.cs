using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;
using OmePortal.Web.Tenancy;

// Not "...Admin.System": that namespace would hide the System namespace in every admin page.
namespace OmePortal.Web.Admin.SystemAdmin;

/// <summary>
/// The system admin's tenants: list, create (review first, then confirm: a tenant comes with its key
/// and default brand template), and choose the tenant to act for.
/// </summary>
public sealed class IndexModel(
    OmePortalDbContext db,
    AdminScope scope,
    TenantProvisioner tenants,
    AuditLog audit,
    IStringLocalizer<AdminResource> text) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    public IReadOnlyList<TenantRow> Tenants { get; private set; } = [];

    /// <summary>Set after "Review": the creation waits for confirmation.</summary>
    public bool Reviewing { get; private set; }

    public string? Notice { get; private set; }

    /// <summary>The system admins (no tenant of their own), each with a link to their account page.</summary>
    public IReadOnlyList<AdminUser> SystemAdmins { get; private set; } = [];

    public async Task OnGetAsync(string? created, string? acting, string? removed, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (removed is not null)
        {
            Notice = text["AccountRemovedNotice", removed];
        }

        var name = created ?? acting;
        if (name is not null && Tenants.FirstOrDefault(t => t.Slug == name) is { } tenant)
        {
            Notice = created is not null ? text["TenantCreated", tenant.Name] : text["NowActingFor", tenant.Name];
        }
    }

    public async Task<IActionResult> OnPostReviewAsync(CancellationToken cancellationToken)
    {
        await ValidateAsync(cancellationToken);
        await LoadAsync(cancellationToken);
        Reviewing = ModelState.IsValid;
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        await ValidateAsync(cancellationToken);
        if (!ModelState.IsValid)
        {
            await LoadAsync(cancellationToken);
            return Page();
        }

        var tenant = tenants.Add(db, Input.Slug.Trim(), Input.Name.Trim());
        audit.Add(tenant.Id, AuditEventKind.TenantChanged, scope.Actor, detail: $"tenant '{tenant.Slug}' created");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Someone took the slug between the check and the insert.
            db.ChangeTracker.Clear();
            ModelState.AddModelError("Input.Slug", text["SlugTaken"]);
            await LoadAsync(cancellationToken);
            return Page();
        }

        return Redirect("/admin/system?created=" + Uri.EscapeDataString(tenant.Slug));
    }

    /// <summary>Choosing the tenant to act for is a preference (a cookie), not a change: no confirmation.</summary>
    public async Task<IActionResult> OnPostActAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null)
        {
            return NotFound();
        }

        Response.Cookies.Append(AdminAuthentication.ActingTenantCookieName, tenant.Id.ToString(), new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });
        return Redirect("/admin/system?acting=" + Uri.EscapeDataString(tenant.Slug));
    }

    private async Task ValidateAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return;
        }

        var slug = Input.Slug.Trim();
        if (await db.Tenants.AnyAsync(t => t.Slug == slug, cancellationToken))
        {
            ModelState.AddModelError("Input.Slug", text["SlugTaken"]);
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var admins = await db.Users.Where(u => u.TenantId != null).GroupBy(u => u.TenantId)
            .Select(g => new { TenantId = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(x => x.TenantId, x => x.Count, cancellationToken);
        var rows = await db.Tenants.AsNoTracking().OrderBy(t => t.CreatedAt).ThenBy(t => t.Slug)
            .Select(t => new { t.Id, t.Slug, t.Name, t.CreatedAt }).ToListAsync(cancellationToken);
        SystemAdmins = await db.Users.AsNoTracking().Where(u => u.TenantId == null).OrderBy(u => u.Email).ToListAsync(cancellationToken);
        Tenants = [.. rows.Select(t => new TenantRow(t.Id, t.Slug, t.Name, t.CreatedAt, admins.GetValueOrDefault(t.Id), t.Id == scope.TenantId))];
    }

    public sealed record TenantRow(Guid Id, string Slug, string Name, DateTimeOffset CreatedAt, int Admins, bool IsActing);

    [LocalizedWith(typeof(AdminResource))]
    public sealed class InputModel
    {
        [Required(ErrorMessage = "SlugRequired")]
        [RegularExpression("^[a-z0-9][a-z0-9-]{1,63}$", ErrorMessage = "SlugInvalid")]
        [Display(Name = "SlugLabel")]
        public string Slug { get; set; } = string.Empty;

        [Required(ErrorMessage = "NameRequired")]
        [MaxLength(200, ErrorMessage = "NameRequired")]
        [Display(Name = "NameLabel")]
        public string Name { get; set; } = string.Empty;
    }
}
