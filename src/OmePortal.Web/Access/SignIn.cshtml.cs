using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Mime;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Access;

/// <summary>
/// Sign-in without a link (to reach the inbox): the address gets a passcode if it has messages.
/// The answer is the same whether or not it has any, so the page cannot be used to probe addresses.
/// The passcode mail has no message and so the portal's neutral brand, never a tenant's
/// (<see cref="OmePortal.Web.Notifications.NotificationDispatcher.PortalBrand"/>).
/// </summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class SignInModel(Passcodes passcodes, IStringLocalizer<AccessResource> text) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public Guid? PendingChallenge { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (ModelState.IsValid && !AddressNormalizer.IsValid(Input.Address))
        {
            ModelState.AddModelError("Input.Address", text["AddressInvalid"]);
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = await passcodes.StartAsync(Input.Address, messageId: null, cancellationToken);
        return PasscodePages.AfterStart(this, result, ReturnUrl, text, error =>
        {
            Error = error;
            PendingChallenge = PasscodePages.PendingChallenge(HttpContext);
            return Page();
        });
    }

    [LocalizedWith(typeof(AccessResource))]
    public sealed class InputModel
    {
        [Required(ErrorMessage = "AddressRequired")]
        [EmailAddress(ErrorMessage = "AddressInvalid")]
        [MaxLength(320, ErrorMessage = "AddressInvalid")]
        [Display(Name = "AddressLabel")]
        public string Address { get; set; } = string.Empty;
    }
}

/// <summary>What every passcode request page does with the answer.</summary>
public static class PasscodePages
{
    private const string ChallengeCookie = "__Host-omeportal-challenge";

    public static IActionResult AfterStart(PageModel page, PasscodeStart result, string? returnUrl, IStringLocalizer text, Func<string, IActionResult> showError)
    {
        switch (result)
        {
            case PasscodeStart.Started started:
                // Remembered so that a throttled second request can still lead to the code page.
                page.Response.Cookies.Append(ChallengeCookie, started.ChallengeId.ToString(), new CookieOptions
                {
                    Secure = true,
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Path = "/",
                    MaxAge = TimeSpan.FromMinutes(10),
                });
                return page.RedirectToPage("/Access/Code", new { challenge = started.ChallengeId, returnUrl = HostingExtensions.IsLocal(returnUrl) ? returnUrl : null });
            case PasscodeStart.Throttled throttled:
                page.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                page.Response.Headers.RetryAfter = ((int)Math.Ceiling(throttled.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return showError(text.Plural("Throttled", (int)Math.Ceiling(throttled.RetryAfter.TotalSeconds)));
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    public static Guid? PendingChallenge(HttpContext context) =>
        context.Request.Cookies.TryGetValue(ChallengeCookie, out var value) && Guid.TryParse(value, out var id) ? id : null;
}
