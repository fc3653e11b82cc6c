using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using OmePortal.Data;

namespace OmePortal.Web.Admin.SystemAdmin;

/// <summary>
/// One admin account, for the system admin (the folder's policy): disable and re-enable, reset the second
/// factors, remove (after a confirmation). The rules (not on oneself, never the last system admin) are
/// <see cref="AdminLifecycle"/>'s; this page shows what it answered.
/// </summary>
public sealed class AdminAccountModel(
    OmePortalDbContext db,
    AdminScope scope,
    AdminLifecycle lifecycle,
    AdminSessions sessions,
    IStringLocalizer<AdminResource> text) : PageModel
{
    public AdminUser Admin { get; private set; } = null!;

    public string? TenantName { get; private set; }

    public int LiveSessions { get; private set; }

    public bool IsSelf => Admin.Id == scope.UserId;

    public bool ConfirmRemove { get; private set; }

    public string? Notice { get; private set; }

    public bool NoticeIsError { get; private set; }

    public string BackUrl => Admin.TenantId is { } tenantId ? $"/admin/system/tenant/{tenantId}" : "/admin/system";

    public async Task<IActionResult> OnGetAsync(Guid id, string? done, string? remove, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        ConfirmRemove = remove is not null && !IsSelf;
        Notice = done switch
        {
            "disabled" => text["AccountDisabledNotice"].Value,
            "enabled" => text["AccountEnabledNotice"].Value,
            "reset" => text["AccountResetNotice"].Value,
            _ => null,
        };
        return Page();
    }

    public Task<IActionResult> OnPostDisableAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, lifecycle.DisableAsync, "disabled", cancellationToken);

    public Task<IActionResult> OnPostEnableAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, lifecycle.EnableAsync, "enabled", cancellationToken);

    public Task<IActionResult> OnPostResetAuthenticatorAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, lifecycle.ResetAuthenticatorAsync, "reset", cancellationToken);

    public async Task<IActionResult> OnPostRemoveAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        var back = BackUrl;
        var email = Admin.Email ?? Admin.Id.ToString();
        var outcome = await lifecycle.RemoveAsync(id, scope.UserId, scope.Actor, cancellationToken);
        return outcome == AdminAccountOutcome.Done
            ? LocalRedirect(back + "?removed=" + Uri.EscapeDataString(email))
            : await RefusedAsync(id, outcome, cancellationToken);
    }

    private async Task<IActionResult> ActAsync(
        Guid id, Func<Guid, Guid, string, CancellationToken, Task<AdminAccountOutcome>> action, string done, CancellationToken cancellationToken)
    {
        var outcome = await action(id, scope.UserId, scope.Actor, cancellationToken);
        return outcome == AdminAccountOutcome.Done
            ? LocalRedirect($"/admin/system/admins/{id}?done={done}")
            : await RefusedAsync(id, outcome, cancellationToken);
    }

    private async Task<IActionResult> RefusedAsync(Guid id, AdminAccountOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome == AdminAccountOutcome.NotFound || !await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        Notice = outcome == AdminAccountOutcome.Self ? text["AccountRefusedSelf"] : text["AccountRefusedLastSystemAdmin"];
        NoticeIsError = true;
        Response.StatusCode = StatusCodes.Status409Conflict;
        return Page();
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var admin = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (admin is null)
        {
            return false;
        }

        Admin = admin;
        TenantName = admin.TenantId is { } tenantId
            ? await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.Name).FirstOrDefaultAsync(cancellationToken)
            : null;
        LiveSessions = (await sessions.ListAsync(admin.Id, currentSessionId: null, cancellationToken)).Count;
        return true;
    }
}
