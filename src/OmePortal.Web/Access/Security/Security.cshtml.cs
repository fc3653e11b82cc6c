using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;
using OmePortal.Web.Access.Passkeys;

namespace OmePortal.Web.Access.Security;

/// <summary>
/// The signed-in recipient's passkeys: list, create, rename, and a link to remove (which asks first).
/// Every query is filtered by the session's address, so nobody sees or changes another address's passkeys.
/// </summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class SecurityModel(OmePortalDbContext db, IStringLocalizer<PasskeysResource> text) : PageModel
{
    public string Address { get; private set; } = string.Empty;

    public IReadOnlyList<PasskeyListItem> Passkeys { get; private set; } = [];

    public string? Status { get; private set; }

    public bool StatusIsError { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? status, CancellationToken cancellationToken)
    {
        Status = status switch
        {
            "created" => text["PasskeyCreated"].Value,
            "renamed" => text["Renamed"].Value,
            "removed" => text["Removed"].Value,
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
        return Page();
    }
}

public sealed record PasskeyListItem(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);
