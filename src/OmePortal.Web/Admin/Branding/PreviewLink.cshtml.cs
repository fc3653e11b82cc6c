using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Core.Branding;
using OmePortal.Web.Admin;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// The link page (Portal/Link.cshtml) as a recipient would see it with an unsaved template, for a
/// sandboxed preview frame: the portal layout and style sheet, the brand's colour, logo and texts, and
/// no script or form that could do anything. The language comes from <c>?culture=</c>, which the
/// request localisation reads, so the portal's own strings are in that language too.
/// </summary>
public sealed class PreviewLinkModel(BrandPreviewDrafts drafts, AdminScope scope, TimeProvider time) : PageModel
{
    public BrandTemplate Brand { get; private set; } = null!;

    public BrandTexts Texts { get; private set; } = null!;

    public string? LogoDataUri { get; private set; }

    public DateTimeOffset? ExpiresAt { get; private set; }

    public IActionResult OnGet(string draft, string language)
    {
        var brand = drafts.Find(scope.TenantId, draft);
        if (brand is null || !BrandLanguages.IsSupported(language))
        {
            return NotFound();
        }

        Brand = brand;
        Texts = brand.TextsFor(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName);
        LogoDataUri = BrandPreview.LogoDataUri(brand.Logo);
        ExpiresAt = brand.ExpiryDays > 0 ? time.GetUtcNow().AddDays(brand.ExpiryDays) : null;
        BrandPreview.FrameHeaders(Response, BrandPreview.LinkFramePolicy(CspNonce.Get(HttpContext)));
        return Page();
    }
}
