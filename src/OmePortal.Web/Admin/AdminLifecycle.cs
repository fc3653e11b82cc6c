using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Audit;

namespace OmePortal.Web.Admin;

/// <summary>What became of a system admin's action on an admin account.</summary>
public enum AdminAccountOutcome
{
    Done,

    /// <summary>No such admin.</summary>
    NotFound,

    /// <summary>A system admin does not act on their own account here (they would lock themselves out).</summary>
    Self,

    /// <summary>The account is the last enabled system admin: nobody could manage tenants any more.</summary>
    LastSystemAdmin,
}

/// <summary>
/// A system admin's actions on other admin accounts: disable, re-enable, remove, reset the second
/// factors. Each one that takes access away ends the account's sessions first (a refused save then
/// leaves the account signed out, not signed in), and each is audited in the tenant of the account
/// (the default tenant for a system admin, as their sign-ins are).
/// </summary>
public sealed class AdminLifecycle(
    OmePortalDbContext db,
    UserManager<AdminUser> users,
    AdminSessions sessions,
    AdminSignInAudit signInAudit,
    AuditLog audit,
    TimeProvider time)
{
    public async Task<AdminAccountOutcome> DisableAsync(Guid adminId, Guid actorId, string actor, CancellationToken cancellationToken)
    {
        var (user, refusal) = await TargetAsync(adminId, actorId, takesAccessAway: true, cancellationToken);
        if (user is null)
        {
            return refusal;
        }

        await sessions.EndAllAsync(user.Id, keep: null, cancellationToken);
        user.DisabledAt ??= time.GetUtcNow();
        await AuditAsync(user, AuditEventKind.AdminDisabled, actor, cancellationToken);
        await users.UpdateSecurityStampAsync(user); // saves the account and the audit event together
        return AdminAccountOutcome.Done;
    }

    public async Task<AdminAccountOutcome> EnableAsync(Guid adminId, Guid actorId, string actor, CancellationToken cancellationToken)
    {
        var (user, refusal) = await TargetAsync(adminId, actorId, takesAccessAway: false, cancellationToken);
        if (user is null)
        {
            return refusal;
        }

        user.DisabledAt = null;
        await AuditAsync(user, AuditEventKind.AdminEnabled, actor, cancellationToken);
        await users.UpdateAsync(user);
        return AdminAccountOutcome.Done;
    }

    public async Task<AdminAccountOutcome> RemoveAsync(Guid adminId, Guid actorId, string actor, CancellationToken cancellationToken)
    {
        var (user, refusal) = await TargetAsync(adminId, actorId, takesAccessAway: true, cancellationToken);
        if (user is null)
        {
            return refusal;
        }

        await sessions.EndAllAsync(user.Id, keep: null, cancellationToken);
        await AuditAsync(user, AuditEventKind.AdminRemoved, actor, cancellationToken);
        var deleted = await users.DeleteAsync(user); // sessions, passkeys and tokens go with it (cascade)
        return deleted.Succeeded ? AdminAccountOutcome.Done : throw new InvalidOperationException(string.Join(" ", deleted.Errors.Select(e => e.Description)));
    }

    /// <summary>
    /// Takes the second factors away (authenticator key, recovery codes, passkeys): the admin signs in with
    /// the password only and must enrol an authenticator again before anything else.
    /// </summary>
    public async Task<AdminAccountOutcome> ResetAuthenticatorAsync(Guid adminId, Guid actorId, string actor, CancellationToken cancellationToken)
    {
        var (user, refusal) = await TargetAsync(adminId, actorId, takesAccessAway: false, cancellationToken);
        if (user is null)
        {
            return refusal;
        }

        await sessions.EndAllAsync(user.Id, keep: null, cancellationToken);
        await db.AdminPasskeys.Where(p => p.AdminUserId == user.Id).ExecuteDeleteAsync(cancellationToken);

        // The last time step used belongs to the old key; kept, it would refuse the new key's first codes.
        await db.AdminAuthenticatorUses.Where(u => u.AdminUserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await users.RemoveAuthenticationTokenAsync(user, AdminUserStore.InternalLoginProvider, AdminUserStore.RecoveryCodesName);
        await users.SetTwoFactorEnabledAsync(user, false);
        await AuditAsync(user, AuditEventKind.AdminAuthenticatorReset, actor, cancellationToken);
        await users.ResetAuthenticatorKeyAsync(user); // a new key nobody has seen; also a new security stamp
        return AdminAccountOutcome.Done;
    }

    private async Task<(AdminUser? User, AdminAccountOutcome Refusal)> TargetAsync(Guid adminId, Guid actorId, bool takesAccessAway, CancellationToken cancellationToken)
    {
        if (adminId == actorId)
        {
            return (null, AdminAccountOutcome.Self);
        }

        var user = await users.FindByIdAsync(adminId.ToString());
        if (user is null)
        {
            return (null, AdminAccountOutcome.NotFound);
        }

        if (takesAccessAway && user.TenantId is null && user.DisabledAt is null
            && !await db.Users.AnyAsync(u => u.TenantId == null && u.DisabledAt == null && u.Id != user.Id, cancellationToken))
        {
            return (null, AdminAccountOutcome.LastSystemAdmin);
        }

        return (user, AdminAccountOutcome.Done);
    }

    private async Task AuditAsync(AdminUser user, AuditEventKind kind, string actor, CancellationToken cancellationToken)
    {
        if (await signInAudit.TenantOfAsync(user, cancellationToken) is { } tenantId)
        {
            audit.Add(tenantId, kind, actor, detail: user.Email ?? user.Id.ToString());
        }
    }
}
