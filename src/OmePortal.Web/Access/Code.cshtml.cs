using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Access;

/// <summary>Entering the passcode of one challenge. A success starts a fresh recipient session.</summary>
[EnableRateLimiting(AccessExtensions.SignInRateLimit)]
public sealed class CodeModel(Passcodes passcodes, OmePortalDbContext db, RecipientAuditTrail audit, IStringLocalizer<AccessResource> text) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "challenge")]
    public Guid ChallengeId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public InputModel Input { get; set; } = new();

    public string? Address { get; private set; }

    public string? ReferenceCode { get; private set; }

    public bool FromLink { get; private set; }

    public bool Dead { get; private set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (Dead)
        {
            return Page();
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        switch (await passcodes.VerifyAsync(ChallengeId, Input.Code, cancellationToken))
        {
            case PasscodeCheck.Verified verified:
                await RecipientAuthenticationHandler.SignInAsync(HttpContext, verified.Address, "passcode");
                await audit.SignedInAsync(verified.Address, "passcode", verified.MessageId, cancellationToken);
                var target = HostingExtensions.IsLocal(ReturnUrl) ? ReturnUrl!
                    : verified.MessageId is { } messageId ? $"/messages/{messageId}" : "/inbox";
                return LocalRedirect(target);
            case PasscodeCheck.Wrong wrong:
                Error = text["CodeWrong", wrong.AttemptsLeft];
                break;
            case PasscodeCheck.CoolingDown cooling:
                Error = text["CoolingDown", (int)Math.Ceiling(cooling.RetryAfter.TotalMinutes)];
                break;
            case PasscodeCheck.Dead:
                Dead = true;
                break;
            default:
                throw new System.Diagnostics.UnreachableException();
        }

        Input.Code = string.Empty;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-cache, no-store";
        var challenge = await db.PasscodeChallenges.AsNoTracking()
            .Where(c => c.Id == ChallengeId)
            .Select(c => new { c.Address, c.ReferenceCode, c.MessageId, c.ExpiresAt, c.ConsumedAt, c.BurnedAt })
            .SingleOrDefaultAsync(cancellationToken);
        if (challenge is null || challenge.ConsumedAt is not null || challenge.BurnedAt is not null || challenge.ExpiresAt <= DateTimeOffset.UtcNow)
        {
            Dead = true;
            return;
        }

        Address = challenge.Address;
        ReferenceCode = challenge.ReferenceCode;
        FromLink = challenge.MessageId is not null;
    }

    [LocalizedWith(typeof(AccessResource))]
    public sealed class InputModel
    {
        [Required(ErrorMessage = "CodeRequired")]
        [RegularExpression("^\\s*\\d{4}\\s?\\d{4}\\s*$", ErrorMessage = "CodeRequired")]
        public string Code { get; set; } = string.Empty;
    }
}
