using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Branding;
using OmePortal.Web.Access;

namespace OmePortal.Web.Portal;

/// <summary>
/// The page a notification link opens. A GET only reads: no passcode is sent and nothing is consumed,
/// so mail scanners and link previews cannot burn anything. The passcode is sent on a deliberate POST.
/// </summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class LinkModel(RecipientLinks links, Passcodes passcodes, IStringLocalizer<AccessResource> text) : PageModel
{
    public LinkState State { get; private set; }

    public string? SenderAddress { get; private set; }

    public string? RecipientAddress { get; private set; }

    public string? SignedInAs { get; private set; }

    public BrandTemplate? Brand { get; private set; }

    public BrandTexts? Texts { get; private set; }

    public string? LogoDataUri { get; private set; }

    public DateTimeOffset? ExpiresAt { get; private set; }

    public string? Error { get; private set; }

    public Guid? PendingChallenge { get; private set; }

    public Guid? MessageId { get; private set; }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        var lookup = await LoadAsync(token, cancellationToken);
        if (lookup is LinkLookup.Found found && string.Equals(User.RecipientAddress(), found.Recipient.Address, StringComparison.OrdinalIgnoreCase))
        {
            return Redirect($"/messages/{found.Message.Id}");
        }

        return Page();
    }

    public async Task<IActionResult> OnPostPasscodeAsync(string token, CancellationToken cancellationToken)
    {
        if (await LoadAsync(token, cancellationToken) is not LinkLookup.Found found || Brand is not { OtpEnabled: true })
        {
            return Page();
        }

        var result = await passcodes.StartAsync(found.Recipient.Address, found.Message.Id, cancellationToken);
        return PasscodePages.AfterStart(this, result, $"/messages/{found.Message.Id}", text, error =>
        {
            Error = error;
            PendingChallenge = PasscodePages.PendingChallenge(HttpContext);
            return Page();
        });
    }

    private async Task<LinkLookup> LoadAsync(string token, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-cache, no-store";
        var lookup = await links.LookupAsync(token, cancellationToken);
        switch (lookup)
        {
            case LinkLookup.Found found:
                State = LinkState.Found;
                MessageId = found.Message.Id;
                SenderAddress = found.Message.SenderAddress;
                RecipientAddress = found.Recipient.Address;
                SignedInAs = User.RecipientAddress();
                ExpiresAt = found.Message.ExpiresAt;
                Brand = BrandSerializer.FromJson(found.Template.Json, null);
                Texts = Brand.TextsFor(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName);
                if (found.Template.Logo is { } logo && found.Template.LogoContentType is { } type)
                {
                    LogoDataUri = $"data:{type};base64,{Convert.ToBase64String(logo)}";
                }

                break;
            case LinkLookup.Expired expired:
                State = LinkState.Expired;
                SenderAddress = expired.SenderAddress;
                Response.StatusCode = StatusCodes.Status410Gone;
                break;
            case LinkLookup.Revoked revoked:
                State = LinkState.Revoked;
                SenderAddress = revoked.SenderAddress;
                Response.StatusCode = StatusCodes.Status410Gone;
                break;
            default:
                State = LinkState.Unknown;
                Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }

        return lookup;
    }
}

public enum LinkState
{
    Unknown,
    Expired,
    Revoked,
    Found,
}
