using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Core.Branding;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// The HTML part of the notification mail an unsaved template makes, for a sandboxed preview frame: the
/// real composer's output under a policy that allows its inline styles and data: images and nothing else.
/// </summary>
public sealed class PreviewMailModel(BrandPreviewDrafts drafts, AdminScope scope, BrandPreviewSettings settings, TimeProvider time) : PageModel
{
    public async Task<IActionResult> OnGetAsync(string draft, string language, CancellationToken cancellationToken)
    {
        var brand = await drafts.FindAsync(scope.TenantId, draft, cancellationToken);
        if (brand is null || !BrandLanguages.IsSupported(language))
        {
            return NotFound();
        }

        var mail = settings.Mail(brand, language, new Uri($"{Request.Scheme}://{Request.Host}/"), time.GetUtcNow());
        BrandPreview.FrameHeaders(Response, BrandPreview.FramePolicy);
        return Content(mail.Html, "text/html; charset=utf-8");
    }
}
