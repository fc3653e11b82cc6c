using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Branding;
using OmePortal.Web.Access;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Portal;

/// <summary>
/// The page a notification link opens. A GET only reads: no passcode is sent and nothing is consumed,
/// so mail scanners and link previews cannot burn anything. The passcode is sent on a deliberate POST.
/// </summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class LinkModel(RecipientLinks links, Passcodes passcodes, PageBrands brands, ExternalProviders providers, IStringLocalizer<AccessResource> text) : PageModel
{
    public LinkState State { get; private set; }

    public string? SenderAddress { get; private set; }

    public string? RecipientAddress { get; private set; }

    public string? SignedInAs { get; private set; }

    public BrandTemplate? Brand { get; private set; }

    public BrandTexts? Texts { get; private set; }

    /// <summary>The ways in this message really has (what the brand allows and the portal has configured).</summary>
    public SignInOffer SignInMethods { get; private set; } = new(false, []);

    public DateTimeOffset? ExpiresAt { get; private set; }

    /// <summary>The expiry of an expired message as the page shows it (the long date, in UTC, in the page's language).</summary>
    public string? ExpiredOn => State == LinkState.Expired && ExpiresAt is { } expires
        ? expires.UtcDateTime.ToString("D", CultureInfo.CurrentUICulture)
        : null;

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
                Brand = brands.ForLink(found).Template;
                Texts = Brand.TextsFor(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName);
                SignInMethods = SignInOffer.For(Brand, found.Message.TenantId, providers);

                break;
            case LinkLookup.Expired expired:
                State = LinkState.Expired;
                SenderAddress = expired.SenderAddress;
                ExpiresAt = expired.ExpiresAt;
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

        // The holder of the link sees the message's brand on every state of its page (Portal/PageBrand.cs).
        this.ShowBrand(brands.ForLink(lookup));
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
