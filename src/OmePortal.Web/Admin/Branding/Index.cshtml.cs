using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Branding;

/// <summary>/admin/branding: the tenant's templates.</summary>
public sealed class IndexModel(BrandTemplateService templates, AdminScope scope) : PageModel
{
    public IReadOnlyList<BrandTemplateSummary> Templates { get; private set; } = [];

    [TempData]
    public string? Notice { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Templates = await templates.ListAsync(scope.TenantId, cancellationToken);
        return Page();
    }
}
