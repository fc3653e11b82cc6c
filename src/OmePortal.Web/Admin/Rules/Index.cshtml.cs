using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

using OmePortal.Web.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>/admin/rules: the tenant's rules in evaluation order (reorder, turn on/off) and the tenant's own domains.</summary>
public sealed class RulesListModel(RuleStore store, AdminScope scope, IStringLocalizer<RulesResource> text) : PageModel
{
    public IReadOnlyList<StoredRule> Rules { get; private set; } = [];

    public RuleText Text { get; private set; } = null!;

    [BindProperty]
    public string? Domains { get; set; }

    public bool HasDomains { get; private set; }

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

    private async Task LoadAsync(CancellationToken cancellationToken, bool keepDomainsInput)
    {
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
