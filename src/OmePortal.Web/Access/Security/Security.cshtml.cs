using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Core.Access;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Access.External;
using OmePortal.Web.Reading;
using OmePortal.Web.Access.Passkeys;

namespace OmePortal.Web.Access.Security;

/// <summary>
/// The signed-in recipient's passkeys (list, create, rename, and a link to remove, which asks first) and
/// sessions (list, end one, end all others). Every query is filtered by the session's address, so nobody
/// sees or changes another address's passkeys or sessions. Adding a passkey needs a recent sign-in
/// (<see cref="PasskeyOptions.RegistrationSignInMaxAge"/>); an older session is offered to sign in again.
/// </summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class SecurityModel(
    OmePortalDbContext db,
    RecipientSessions sessions,
    ExternalProviders providers,
    IOptions<PasskeyOptions> options,
    TimeProvider time,
    IStringLocalizer<PasskeysResource> text) : PageModel
{
    public string Address { get; private set; } = string.Empty;

    public IReadOnlyList<PasskeyListItem> Passkeys { get; private set; } = [];

    public IReadOnlyList<SessionListItem> Sessions { get; private set; } = [];

    /// <summary>Whether this session signed in recently enough to add a passkey.</summary>
    public bool MayAddPasskey { get; private set; }

    public int SignInMaxAgeMinutes => (int)options.Value.RegistrationSignInMaxAge.TotalMinutes;

    public string? Status { get; private set; }

    public bool StatusIsError { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? status, CancellationToken cancellationToken)
    {
        Status = status switch
        {
            "created" => text["PasskeyCreated"].Value,
            "renamed" => text["Renamed"].Value,
            "removed" => text["Removed"].Value,
            "session-ended" => text["SessionEnded"].Value,
            "others-ended" => text["OthersEnded"].Value,
            _ => null,
        };
        return await ShowAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRenameAsync(Guid id, string? name, CancellationToken cancellationToken)
    {
        var address = User.RequiredRecipientAddress();
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > PasskeyEndpoints.MaxNameLength)
        {
            Status = text["NameRequired"];
            StatusIsError = true;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return await ShowAsync(cancellationToken);
        }

        var renamed = await db.PasskeyCredentials.Where(c => c.Id == id && c.Address == address)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Name, trimmed), cancellationToken);
        return renamed == 1 ? LocalRedirect("/security?status=renamed") : NotFound();
    }

    /// <summary>Ends one of the recipient's sessions; ending this one signs out here.</summary>
    public async Task<IActionResult> OnPostEndSessionAsync(Guid id, CancellationToken cancellationToken)
    {
        var address = User.RequiredRecipientAddress();
        if (id == User.RecipientSessionId())
        {
            await RecipientAuthenticationHandler.SignOutAsync(HttpContext);
            return LocalRedirect("/signin");
        }

        if (!await sessions.EndOfAddressAsync(address, id, cancellationToken))
        {
            Status = text["SessionNotFound"];
            StatusIsError = true;
            Response.StatusCode = StatusCodes.Status404NotFound;
            return await ShowAsync(cancellationToken);
        }

        return LocalRedirect("/security?status=session-ended");
    }

    /// <summary>Ends every session of the recipient's address but this one.</summary>
    public async Task<IActionResult> OnPostEndOthersAsync(CancellationToken cancellationToken)
    {
        var address = User.RequiredRecipientAddress();
        var current = User.RecipientSessionId() ?? throw new InvalidOperationException("A recipient session always has an id.");
        await sessions.EndOthersOfAddressAsync(address, current, cancellationToken);
        return LocalRedirect("/security?status=others-ended");
    }

    public string Format(DateTimeOffset when) =>
        when.UtcDateTime.ToString("f", CultureInfo.CurrentUICulture) + " UTC";

    private async Task<IActionResult> ShowAsync(CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        Address = User.RequiredRecipientAddress();
        var address = Address;
        Passkeys = await db.PasskeyCredentials.AsNoTracking()
            .Where(c => c.Address == address)
            .OrderBy(c => c.CreatedAt)
            .Select(c => new PasskeyListItem(c.Id, c.Name, c.CreatedAt, c.LastUsedAt))
            .ToListAsync(cancellationToken);
        var current = User.RecipientSessionId();
        Sessions = [.. (await sessions.LiveOfAddressAsync(address, cancellationToken))
            .Select(s => new SessionListItem(s.Id, MethodLabel(s), s.CreatedAt, s.LastSeenAt, s.Id == current))
            .OrderByDescending(s => s.IsCurrent)];
        MayAddPasskey = options.Value.SignInIsRecentEnough(User.RecipientSignedInAt(), time.GetUtcNow());
        return Page();
    }

    private string MethodLabel(RecipientSession session)
    {
        if (SignInChoices.IsPasskey(session.Method))
        {
            return Passkeys.FirstOrDefault(p => p.Id == session.PasskeyId) is { } passkey
                ? text["MethodPasskeyNamed", passkey.Name].Value
                : text["MethodPasskey"].Value;
        }

        return session.Method switch
        {
            SignInChoices.PasscodeMethod => text["MethodPasscode"].Value,
            SignInChoices.MicrosoftMethod => text["MethodMicrosoft"].Value,
            _ => providers.ByMethod(session.Method)?.DisplayName ?? text["MethodOther"].Value,
        };
    }
}

/// <summary>One live session of the signed-in address, as /security lists it.</summary>
public sealed record SessionListItem(Guid Id, string Method, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, bool IsCurrent);

public sealed record PasskeyListItem(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);
