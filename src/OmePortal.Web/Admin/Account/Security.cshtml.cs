using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Access.Passkeys;
using OmePortal.Web.Admin;
using OmePortal.Web.Admin.Passkeys;
using OmePortal.Web.Audit;
using OmePortal.Web.Access.Security;

namespace OmePortal.Web.Admin.Account;

/// <summary>
/// The admin's own passkeys: list, add (right after a sign-in only), rename, and remove after a
/// confirmation that says what removing does. Every query is filtered by the signed-in admin's id.
/// </summary>
[Authorize(Policy = AdminPolicies.TenantAdmin)]
public sealed class SecurityModel(
    OmePortalDbContext db,
    AdminScope scope,
    AuditLog audit,
    TimeProvider time,
    IOptions<AdminOptions> options,
    IStringLocalizer<AdminResource> text) : PageModel
{
    public IReadOnlyList<PasskeyListItem> Passkeys { get; private set; } = [];

    /// <summary>The passkey the admin asked to remove (shown with a confirmation), if any.</summary>
    public PasskeyListItem? RemoveCandidate { get; private set; }

    public bool MayRegister { get; private set; }

    public int RegistrationWindowMinutes => (int)options.Value.PasskeyRegistrationWindow.TotalMinutes;

    public string? Status { get; private set; }

    public bool StatusIsError { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? status, Guid? remove, CancellationToken cancellationToken)
    {
        Status = status switch
        {
            "created" => text["PasskeyCreated"].Value,
            "renamed" => text["PasskeyRenamed"].Value,
            "removed" => text["PasskeyRemoved"].Value,
            _ => null,
        };
        await LoadAsync(cancellationToken);
        if (remove is { } id)
        {
            RemoveCandidate = Passkeys.FirstOrDefault(p => p.Id == id);
            if (RemoveCandidate is null)
            {
                // Not this admin's (or gone already): the page says so, as any other would.
                Status = text["PasskeyNotFound"];
                StatusIsError = true;
                Response.StatusCode = StatusCodes.Status404NotFound;
            }
        }

        return Page();
    }

    public async Task<IActionResult> OnPostRenameAsync(Guid id, string? name, CancellationToken cancellationToken)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > PasskeyEndpoints.MaxNameLength)
        {
            Status = text["PasskeyNameRequired"];
            StatusIsError = true;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(cancellationToken);
            return Page();
        }

        var userId = scope.UserId;
        var renamed = await db.AdminPasskeys.Where(c => c.Id == id && c.AdminUserId == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Name, trimmed), cancellationToken);
        if (renamed != 1)
        {
            return NotFound();
        }

        await audit.RecordAsync(scope.TenantId, AuditEventKind.AdminChanged, scope.Actor, detail: "passkey renamed: " + trimmed, cancellationToken: cancellationToken);
        return LocalRedirect("/admin/account/security?status=renamed");
    }

    public async Task<IActionResult> OnPostRemoveAsync(Guid id, CancellationToken cancellationToken)
    {
        var userId = scope.UserId;
        var name = await db.AdminPasskeys.Where(c => c.Id == id && c.AdminUserId == userId).Select(c => c.Name).SingleOrDefaultAsync(cancellationToken);
        var removed = name is null ? 0 : await db.AdminPasskeys.Where(c => c.Id == id && c.AdminUserId == userId).ExecuteDeleteAsync(cancellationToken);
        if (removed != 1)
        {
            return NotFound();
        }

        await audit.RecordAsync(scope.TenantId, AuditEventKind.AdminChanged, scope.Actor, detail: "passkey removed: " + name, cancellationToken: cancellationToken);
        return LocalRedirect("/admin/account/security?status=removed");
    }

    public string Format(DateTimeOffset when) =>
        when.UtcDateTime.ToString("f", CultureInfo.CurrentUICulture) + " UTC";

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var userId = scope.UserId;
        Passkeys = await db.AdminPasskeys.AsNoTracking()
            .Where(c => c.AdminUserId == userId)
            .OrderBy(c => c.CreatedAt)
            .Select(c => new PasskeyListItem(c.Id, c.Name, c.CreatedAt, c.LastUsedAt))
            .ToListAsync(cancellationToken);
        MayRegister = AdminPasskeyEndpoints.MayRegister(User, time, options.Value);
    }
}
