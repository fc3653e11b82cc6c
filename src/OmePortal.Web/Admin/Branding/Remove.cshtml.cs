using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Branding;

/// <summary>/admin/branding/{id}/remove: says what removing will do (messages moved to the default), then does it on POST.</summary>
public sealed class RemoveModel(BrandTemplateService templates, AdminScope scope, IStringLocalizer<BrandingResource> text) : PageModel
{
    public BrandTemplateSummary Template { get; private set; } = null!;

    public string? Refusal { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        switch (await templates.RemoveAsync(scope.TenantId, scope.Actor, id, cancellationToken))
        {
            case BrandTemplateChange.Removed:
                TempData[nameof(IndexModel.Notice)] = text["RemovedNotice", Template.Name].Value;
                return Redirect("/admin/branding");
            case BrandTemplateChange.NotFound:
                return NotFound();
            case BrandTemplateChange.DefaultCannotBeRemoved:
                Refusal = text["RemoveDefaultRefused"];
                break;
            case BrandTemplateChange.InUseByRules:
                Refusal = text["RemoveInUseRefused"];
                break;
            default:
                Refusal = text["Error_Invalid"];
                break;
        }

        Response.StatusCode = StatusCodes.Status409Conflict;
        return Page();
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var summary = (await templates.ListAsync(scope.TenantId, cancellationToken)).FirstOrDefault(t => t.Id == id);
        if (summary is null)
        {
            return false;
        }

        Template = summary;
        if (summary.IsDefault)
        {
            Refusal = text["RemoveDefaultRefused"];
        }

        return true;
    }
}
