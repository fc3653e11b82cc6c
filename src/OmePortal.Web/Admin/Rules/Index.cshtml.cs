using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Audit;

using OmePortal.Web.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>
/// /admin/rules: the tenant's rules in evaluation order (reorder, turn on/off), the tenant's own domains, and
/// whether previews of Do-Not-Forward attachments carry a text layer (Previews/Viewer).
/// </summary>
public sealed class RulesListModel(RuleStore store, AdminScope scope, IStringLocalizer<RulesResource> text, OmePortalDbContext db, AuditLog audit) : PageModel
{
    public IReadOnlyList<StoredRule> Rules { get; private set; } = [];

    public RuleText Text { get; private set; } = null!;

    [BindProperty]
    public string? Domains { get; set; }

    public bool HasDomains { get; private set; }

    /// <summary>Whether previews of Do-Not-Forward attachments carry a text layer (<see cref="Tenant.DoNotForwardPreviewText"/>).</summary>
    public bool DoNotForwardPreviewText { get; private set; }

    [TempData]
    public string? Notice { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken, keepDomainsInput: false);
        return Page();
    }

    public async Task<IActionResult> OnPostMoveAsync(Guid id, bool up, CancellationToken cancellationToken)
    {
        if (!await store.MoveAsync(scope.TenantId, id, up, scope.Actor, cancellationToken))
        {
            return NotFound();
        }

        Notice = text["Changed"];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostEnableAsync(Guid id, bool enabled, CancellationToken cancellationToken)
    {
        if (!await store.SetEnabledAsync(scope.TenantId, id, enabled, scope.Actor, cancellationToken))
        {
            return NotFound();
        }

        Notice = text["Changed"];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDomainsAsync(CancellationToken cancellationToken)
    {
        var lines = (Domains ?? string.Empty).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (!await store.SetDomainsAsync(scope.TenantId, lines, scope.Actor, cancellationToken))
        {
            ModelState.AddModelError(nameof(Domains), text["DomainsInvalid"]);
            await LoadAsync(cancellationToken, keepDomainsInput: true);
            return Page();
        }

        Notice = text["DomainsSaved"];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostPreviewTextAsync(bool enabled, CancellationToken cancellationToken)
    {
        var changed = await db.Tenants.Where(t => t.Id == scope.TenantId && t.DoNotForwardPreviewText != enabled)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.DoNotForwardPreviewText, enabled), cancellationToken);
        if (changed > 0)
        {
            await audit.RecordAsync(scope.TenantId, AuditEventKind.RuleChanged, scope.Actor,
                detail: "Do-Not-Forward preview text layer: " + (enabled ? "on" : "off"), cancellationToken: cancellationToken);
        }

        Notice = text["PreviewTextSaved"];
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken cancellationToken, bool keepDomainsInput)
    {
        DoNotForwardPreviewText = await db.Tenants.AsNoTracking().Where(t => t.Id == scope.TenantId).Select(t => t.DoNotForwardPreviewText).SingleAsync(cancellationToken);
        Rules = await store.ListAsync(scope.TenantId, cancellationToken);
        Text = RulePageData.TextFor(text, await RulePageData.TemplatesAsync(scope.Data, cancellationToken));
        var domains = await store.DomainsAsync(scope.TenantId, cancellationToken);
        HasDomains = domains.Count > 0;
        if (!keepDomainsInput)
        {
            Domains = string.Join('\n', domains);
        }
    }
}
