using OmePortal.Data;
using OmePortal.Web.Audit;

namespace OmePortal.Web.Admin;

/// <summary>
/// Admin events in the shared audit log, whose every entry belongs to a tenant. A tenant admin's
/// events go to their tenant. A system admin has none: their events go to the tenant acted on (a
/// tenant created, an admin made for it), and sign-ins to the tenant they act for by default (the
/// oldest), so the first-run tenant's log shows every system admin sign-in.
/// </summary>
public sealed class AdminSignInAudit(AuditLog audit, OmePortalDbContext db)
{
    public Task SignedInAsync(AdminUser user, string method, CancellationToken cancellationToken) =>
        RecordAsync(user, AuditEventKind.AdminSignedIn, method, cancellationToken);

    public Task FailedAsync(AdminUser user, string step, CancellationToken cancellationToken) =>
        RecordAsync(user, AuditEventKind.AdminSignInFailed, step, cancellationToken);

    public async Task<Guid?> TenantOfAsync(AdminUser user, CancellationToken cancellationToken) =>
        user.TenantId ?? (await AdminScope.DefaultTenantAsync(db, cancellationToken))?.Id;

    private async Task RecordAsync(AdminUser user, AuditEventKind kind, string detail, CancellationToken cancellationToken)
    {
        if (await TenantOfAsync(user, cancellationToken) is { } tenantId)
        {
            await audit.RecordAsync(tenantId, kind, user.Email ?? user.Id.ToString(), detail: detail, cancellationToken: cancellationToken);
        }
    }
}
