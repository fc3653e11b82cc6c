using System.Globalization;
using Microsoft.AspNetCore.Authentication;
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
    AdminSessions sessions,
    Microsoft.AspNetCore.Identity.UserManager<AdminUser> users,
    AuditLog audit,
    TimeProvider time,
    IOptions<AdminOptions> options,
    IStringLocalizer<AdminResource> text) : PageModel
{
    public IReadOnlyList<PasskeyListItem> Passkeys { get; private set; } = [];

    /// <summary>The admin's live sessions, this one marked.</summary>
    public IReadOnlyList<AdminSessionItem> Sessions { get; private set; } = [];

    /// <summary>New recovery codes, on the one response that shows them.</summary>
    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

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
            "password-changed" => text["PasswordChanged"].Value,
            "session-ended" => text["SessionEnded"].Value,
            "sessions-ended" => text["OtherSessionsEnded"].Value,
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

    /// <summary>Ends one of the admin's sessions; ending this one signs out.</summary>
    public async Task<IActionResult> OnPostEndSessionAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await sessions.EndAsync(id, scope.UserId, cancellationToken))
        {
            return NotFound();
        }

        await audit.RecordAsync(scope.TenantId, AuditEventKind.AdminSessionEnded, scope.Actor, detail: "ended from the session list", cancellationToken: cancellationToken);
        if (id == AdminSessions.CurrentId(User))
        {
            await HttpContext.SignOutAsync(AdminAuthentication.Scheme);
            return LocalRedirect("/admin/account/signedout");
        }

        return LocalRedirect("/admin/account/security?status=session-ended");
    }

    /// <summary>"Sign out everywhere": every session of the admin but this one ends.</summary>
    public async Task<IActionResult> OnPostEndOthersAsync(CancellationToken cancellationToken)
    {
        var ended = await sessions.EndAllAsync(scope.UserId, keep: AdminSessions.CurrentId(User), cancellationToken);
        await audit.RecordAsync(scope.TenantId, AuditEventKind.AdminSessionEnded, scope.Actor, detail: $"signed out everywhere else: {ended}", cancellationToken: cancellationToken);
        return LocalRedirect("/admin/account/security?status=sessions-ended");
    }

    /// <summary>New recovery codes, shown once; the old ones stop working (the stored set is replaced).</summary>
    public async Task<IActionResult> OnPostRecoveryCodesAsync(CancellationToken cancellationToken)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return NotFound();
        }

        RecoveryCodes = [.. await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount) ?? []];
        await audit.RecordAsync(scope.TenantId, AuditEventKind.AdminRecoveryCodesRegenerated, scope.Actor, cancellationToken: cancellationToken);
        Status = text["RecoveryCodesRegenerated"];
        await LoadAsync(cancellationToken);
        return Page();
    }

    public const int RecoveryCodeCount = 10;

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
        Sessions = await sessions.ListAsync(userId, AdminSessions.CurrentId(User), cancellationToken);
    }
}
