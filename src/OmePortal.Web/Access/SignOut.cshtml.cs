using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OmePortal.Web.Access;

/// <summary>
/// POST ends the session on the server (every copy of the cookie stops working); GET confirms. The header's
/// sign-out is a form that posts here in one click without an antiforgery token (reading pages mint none,
/// docs/ARCHITECTURE.md §12): a POST is accepted when the browser says it came from this site (Fetch
/// Metadata, else the Origin header) or when it carries a valid token (this page's own button). Anything else,
/// a cross-site form included, gets this page with its tokened button and ends nothing.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class SignOutModel(IAntiforgery antiforgery, OmePortal.Web.Portal.PageBrands brands) : PageModel
{
    /// <param name="brand">The template of the branded page the reader signed out from (Portal/PageBrand.cs): the page keeps its look.</param>
    public async Task OnGetAsync(Guid? brand, CancellationToken cancellationToken)
    {
        if (brand is { } templateId)
        {
            OmePortal.Web.Portal.PageBrandViewData.ShowBrand(this, await brands.ForTemplateAsync(templateId, cancellationToken));
        }
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!IsFromThisSite(Request) && !await antiforgery.IsRequestValidAsync(HttpContext))
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        await RecipientAuthenticationHandler.SignOutAsync(HttpContext);

        // The signed-out page keeps the brand of the page the reader left (the header passes it on).
        return RedirectToPage(new { brand = Request.Query["brand"].ToString() is { Length: > 0 } brand ? brand : null });
    }

    /// <summary>
    /// <c>Sec-Fetch-Site</c> and <c>Origin</c> are set by the browser and cannot be set by a page's script; a
    /// browser that sends neither falls back to the token.
    /// </summary>
    public static bool IsFromThisSite(HttpRequest request)
    {
        if (request.Headers.TryGetValue("Sec-Fetch-Site", out var site))
        {
            return string.Equals(site.ToString(), "same-origin", StringComparison.Ordinal);
        }

        return request.Headers.Origin.ToString() is { Length: > 0 } origin
            && string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }
}
