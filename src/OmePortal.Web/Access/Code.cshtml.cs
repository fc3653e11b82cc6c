using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;
using OmePortal.Web.Notifications;

namespace OmePortal.Web.Access;

/// <summary>
/// Entering the passcode of one challenge. A success starts a fresh recipient session. Every other answer is a
/// redirect back to this page's GET (POST-redirect-GET), which reads the challenge's state again: a refresh
/// never re-posts a code, so it cannot burn a try. A spent challenge offers a new code for the same address
/// and link (docs/ARCHITECTURE.md §7, no dead ends).
/// </summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class CodeModel(
    Passcodes passcodes,
    OmePortalDbContext db,
    RecipientAuditTrail audit,
    IStringLocalizer<AccessResource> text,
    IOptions<PasscodeOptions> passcodeOptions,
    IOptions<NotificationOptions> notificationOptions,
    TimeProvider time,
    OmePortal.Web.Portal.PageBrands brands) : PageModel
{
    private int _failedAttempts;

    [BindProperty(SupportsGet = true, Name = "challenge")]
    public Guid ChallengeId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    /// <summary>The address the challenge is for; known also when the challenge is spent, so a new code needs no retyping.</summary>
    public string? Address { get; private set; }

    public string? ReferenceCode { get; private set; }

    public bool FromLink { get; private set; }

    public bool Dead { get; private set; }

    public string? Error { get; private set; }

    /// <summary>How long until a new code may be sent to <see cref="Address"/> (zero: now).</summary>
    public TimeSpan ResendWait { get; private set; }

    /// <summary>The From address of passcode mails, named so the reader can look for it (and in the spam folder).</summary>
    public string PasscodeSender => notificationOptions.Value.FromAddress;

    public string? SafeReturnUrl => HostingExtensions.IsLocal(ReturnUrl) ? ReturnUrl : null;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(cancellationToken) is { } address)
        {
            await ShowStateAsync(address, cancellationToken);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var address = await LoadAsync(cancellationToken);
        if (Dead || address is null)
        {
            return BackToThisPage();
        }

        // An empty or malformed code reaches no passcode rule, so showing the page again costs nothing on a re-post.
        if (!ModelState.IsValid)
        {
            await ShowStateAsync(address, cancellationToken);
            return Page();
        }

        switch (await passcodes.VerifyAsync(ChallengeId, Input.Code, cancellationToken))
        {
            case PasscodeCheck.Verified verified:
                await RecipientAuthenticationHandler.SignInAsync(HttpContext, verified.Address, "passcode");
                await audit.SignedInAsync(verified.Address, "passcode", verified.MessageId, cancellationToken);
                var target = SafeReturnUrl ?? (verified.MessageId is { } messageId ? $"/messages/{messageId}" : "/inbox");
                return LocalRedirect(target);
            case PasscodeCheck.Wrong or PasscodeCheck.CoolingDown or PasscodeCheck.Dead:
                // The GET shows which, from the challenge and the address's cool-down as they are now.
                return BackToThisPage();
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>
    /// "Send me a new code" for the challenge's own address and message: the same <see cref="Passcodes.StartAsync"/>
    /// as the link and sign-in pages, with all its throttles, so knowing a challenge id gains nothing over
    /// typing the address on /signin.
    /// </summary>
    public async Task<IActionResult> OnPostResendAsync(CancellationToken cancellationToken)
    {
        var challenge = await db.PasscodeChallenges.AsNoTracking()
            .Where(c => c.Id == ChallengeId)
            .Select(c => new { c.Address, c.MessageId })
            .SingleOrDefaultAsync(cancellationToken);
        if (challenge is null)
        {
            return LocalRedirect("/signin" + (SafeReturnUrl is { } back ? "?returnUrl=" + Uri.EscapeDataString(back) : string.Empty));
        }

        var result = await passcodes.StartAsync(challenge.Address, challenge.MessageId, cancellationToken);
        return result switch
        {
            PasscodeStart.Started => PasscodePages.AfterStart(this, result, SafeReturnUrl, text, _ => BackToThisPage()),
            PasscodeStart.Throttled => BackToThisPage(),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private RedirectToPageResult BackToThisPage() => RedirectToPage(new { challenge = ChallengeId, returnUrl = SafeReturnUrl });

    /// <summary>Reads the challenge; returns its address, or null when there is no such challenge.</summary>
    private async Task<string?> LoadAsync(CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-cache, no-store";
        var now = time.GetUtcNow();
        var challenge = await db.PasscodeChallenges.AsNoTracking()
            .Where(c => c.Id == ChallengeId)
            .Select(c => new { c.Address, c.ReferenceCode, c.MessageId, c.ExpiresAt, c.ConsumedAt, c.BurnedAt, c.FailedAttempts })
            .SingleOrDefaultAsync(cancellationToken);
        if (challenge is null)
        {
            Dead = true;
            return null;
        }

        Address = challenge.Address;
        FromLink = challenge.MessageId is not null;
        if (FromLink)
        {
            // A code asked for on a message's link page keeps that page's brand (Portal/PageBrand.cs).
            OmePortal.Web.Portal.PageBrandViewData.ShowBrand(this, await brands.ForChallengeAsync(ChallengeId, cancellationToken));
        }

        Dead = challenge.ConsumedAt is not null || challenge.BurnedAt is not null || challenge.ExpiresAt <= now;
        if (!Dead)
        {
            ReferenceCode = challenge.ReferenceCode;
        }

        _failedAttempts = challenge.FailedAttempts;
        return challenge.Address;
    }

    /// <summary>What the page says beside the form: the resend wait, a cool-down, or the tries left after a wrong code.</summary>
    private async Task ShowStateAsync(string address, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        ResendWait = await passcodes.ResendWaitAsync(address, cancellationToken);
        var cooldownUntil = await db.RecipientLockouts.AsNoTracking()
            .Where(l => l.Address == address)
            .Select(l => l.CooldownUntil)
            .SingleOrDefaultAsync(cancellationToken);
        if (cooldownUntil > now)
        {
            Error = text.Plural("CoolingDown", (int)Math.Ceiling((cooldownUntil.Value - now).TotalMinutes));
        }
        else if (!Dead && _failedAttempts > 0)
        {
            Error = text.Plural("CodeWrong", passcodeOptions.Value.MaxAttemptsPerChallenge - _failedAttempts);
        }
    }

    [LocalizedWith(typeof(AccessResource))]
    public sealed class InputModel
    {
        [Required(ErrorMessage = "CodeRequired")]
        [RegularExpression("^\\s*\\d{4}\\s?\\d{4}\\s*$", ErrorMessage = "CodeRequired")]
        public string Code { get; set; } = string.Empty;
    }
}
