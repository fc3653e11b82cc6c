using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using OmePortal.Core.Branding;
using OmePortal.Web.Portal;

namespace OmePortal.Web.Access.External;

/// <summary>
/// Why an external sign-in was refused, and the passcode instead. Names the message's recipient
/// only when the sign-in started from that message's link (the protected <c>r</c> value says so).
/// </summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class RefusedModel(IDataProtectionProvider protection, RecipientLinks links) : PageModel
{
    public ExternalRefusalKind Kind { get; private set; }

    /// <summary>The link the sign-in started from, while it still leads to the message.</summary>
    public string? LinkToken { get; private set; }

    public string? RecipientAddress { get; private set; }

    public bool PasscodeAllowed { get; private set; } = true;

    public async Task<IActionResult> OnGetAsync(string? r, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-cache, no-store";
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var refusal = ExternalSignInRefusal.Unprotect(protection, r);
        Kind = refusal?.Kind ?? ExternalRefusalKind.Failed;
        if (refusal?.LinkToken is { } token && await links.LookupAsync(token, cancellationToken) is LinkLookup.Found found)
        {
            LinkToken = token;
            RecipientAddress = found.Recipient.Address;
            PasscodeAllowed = BrandSerializer.FromJson(found.Template.Json, null).OtpEnabled;
        }

        return Page();
    }
}
