using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Core.Branding;
using OmePortal.Web.Portal;

namespace OmePortal.Web.Pages.Portal;

/// <summary>
/// The page a notification link opens. A GET only reads: no passcode is sent and nothing is consumed,
/// so mail scanners and link previews cannot burn anything.
/// </summary>
public sealed class LinkModel(RecipientLinks links) : PageModel
{
    public LinkState State { get; private set; }

    public string? SenderAddress { get; private set; }

    public BrandTemplate? Brand { get; private set; }

    public BrandTexts? Texts { get; private set; }

    public string? LogoDataUri { get; private set; }

    public DateTimeOffset? ExpiresAt { get; private set; }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        switch (await links.LookupAsync(token, cancellationToken))
        {
            case LinkLookup.Found found:
                State = LinkState.Found;
                SenderAddress = found.Message.SenderAddress;
                ExpiresAt = found.Message.ExpiresAt;
                Brand = BrandSerializer.FromJson(found.Template.Json, null);
                Texts = Brand.TextsFor(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName);
                if (found.Template.Logo is { } logo && found.Template.LogoContentType is { } type)
                {
                    LogoDataUri = $"data:{type};base64,{Convert.ToBase64String(logo)}";
                }

                return Page();
            case LinkLookup.Expired expired:
                State = LinkState.Expired;
                SenderAddress = expired.SenderAddress;
                Response.StatusCode = StatusCodes.Status410Gone;
                return Page();
            case LinkLookup.Revoked revoked:
                State = LinkState.Revoked;
                SenderAddress = revoked.SenderAddress;
                Response.StatusCode = StatusCodes.Status410Gone;
                return Page();
            default:
                State = LinkState.Unknown;
                Response.StatusCode = StatusCodes.Status404NotFound;
                return Page();
        }
    }
}

public enum LinkState
{
    Unknown,
    Expired,
    Revoked,
    Found,
}
