using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Core.Branding;
using OmePortal.Web.Admin;
using OmePortal.Web.Hosting;
using OmePortal.Web.Portal;

namespace OmePortal.Web.Admin.Branding;

/// <summary>Which recipient page a preview frame shows.</summary>
public enum PreviewPageKind
{
    /// <summary>The link page (Portal/Link.cshtml).</summary>
    Link,

    /// <summary>The passcode entry page (Access/Code.cshtml).</summary>
    Code,

    /// <summary>The message page (Reading/Message.cshtml), with a made-up message.</summary>
    Message,
}

/// <summary>
/// A recipient page as a recipient would see it with an unsaved template, for a sandboxed preview frame: the
/// portal layout and style sheet, drawn in the brand exactly as the real pages are (<see cref="PageBrand"/>:
/// colours chosen by contrast, the logo in the header), with the brand's texts and no script or form that
/// could do anything. The language comes from <c>?culture=</c>, which the request localisation reads, so the
/// portal's own strings are in that language too.
/// </summary>
public sealed class PreviewLinkModel(BrandPreviewDrafts drafts, AdminScope scope, BrandPreviewSettings settings, TimeProvider time) : PageModel
{
    public PreviewPageKind Kind { get; private set; }

    public BrandTemplate Brand { get; private set; } = null!;

    public BrandTexts Texts { get; private set; } = null!;

    public SignInOffer SignInMethods { get; private set; } = new(false, []);

    public DateTimeOffset? ExpiresAt { get; private set; }

    public DateTimeOffset Now { get; private set; }

    public async Task<IActionResult> OnGetAsync(string draft, string kind, string language, CancellationToken cancellationToken)
    {
        var brand = await drafts.FindAsync(scope.TenantId, draft, cancellationToken);
        if (brand is null || !BrandLanguages.IsSupported(language) || !Enum.TryParse<PreviewPageKind>(kind, ignoreCase: true, out var pageKind))
        {
            return NotFound();
        }

        Kind = pageKind;
        Brand = brand;
        Texts = brand.TextsFor(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName);
        SignInMethods = settings.SignIn(brand);
        Now = time.GetUtcNow();
        ExpiresAt = brand.ExpiryDays > 0 ? Now.AddDays(brand.ExpiryDays) : null;
        this.ShowBrand(PageBrand.Preview(brand));
        BrandPreview.FrameHeaders(Response, BrandPreview.LinkFramePolicy(CspNonce.Get(HttpContext)));
        return Page();
    }
}
