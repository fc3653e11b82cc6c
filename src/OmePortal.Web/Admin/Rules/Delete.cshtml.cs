using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

using OmePortal.Web.Rules;

namespace OmePortal.Web.Admin.Rules;

/// <summary>/admin/rules/{id}/delete: confirm, then delete. Another tenant's rule is not found (404).</summary>
public sealed class RuleDeleteModel(RuleStore store, AdminScope scope, IStringLocalizer<RulesResource> text) : PageModel
{
    public string Name { get; private set; } = string.Empty;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(scope.TenantId, id, cancellationToken);
        if (stored is null)
        {
            return NotFound();
        }

        Name = stored.Record.Name;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(scope.TenantId, id, cancellationToken);
        if (stored is null || !await store.DeleteAsync(scope.TenantId, id, scope.Actor, cancellationToken))
        {
            return NotFound();
        }

        TempData["Notice"] = text["Deleted", stored.Record.Name].Value;
        return Redirect("/admin/rules");
    }
}
