using Microsoft.EntityFrameworkCore;
using OmePortal.Data;

namespace OmePortal.Web.Audit;

/// <summary>
/// Audit events of a recipient address (passcode sent or failed, signed in). A sign-in belongs to an
/// address, not to a tenant: when it started from a message's link the event goes to that message's
/// tenant with the message and recipient ids; otherwise one event goes to every tenant that has
/// messages for the address (each tenant sees that its recipient signed in, never which other
/// tenants exist). An address that is no recipient of anything records nothing.
/// </summary>
public sealed class RecipientAuditTrail(OmePortalDbContext db, AuditLog audit)
{
    /// <summary>Adds the event(s) to the caller's unit of work (see <see cref="AuditLog.Add"/>).</summary>
    public async Task AddAsync(AuditEventKind kind, string address, Guid? messageId, string? detail, CancellationToken cancellationToken)
    {
        if (messageId is { } id)
        {
            var recipient = await db.Recipients.AsNoTracking()
                .Where(r => r.MessageId == id && r.Address == address)
                .Select(r => new { r.TenantId, r.Id })
                .FirstOrDefaultAsync(cancellationToken);
            if (recipient is not null)
            {
                audit.Add(recipient.TenantId, kind, address, id, recipient.Id, detail);
                return;
            }
        }

        var tenants = await db.Recipients.AsNoTracking()
            .Where(r => r.Address == address)
            .Select(r => r.TenantId)
            .Distinct()
            .ToListAsync(cancellationToken);
        foreach (var tenantId in tenants)
        {
            audit.Add(tenantId, kind, address, messageId: null, recipientId: null, detail);
        }
    }

    /// <summary>Records the event(s) on their own.</summary>
    public async Task RecordAsync(AuditEventKind kind, string address, Guid? messageId, string? detail, CancellationToken cancellationToken)
    {
        await AddAsync(kind, address, messageId, detail, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Records a recipient sign-in with <paramref name="method"/> ("passcode", "passkey", "microsoft", ...).</summary>
    public Task SignedInAsync(string address, string method, Guid? messageId, CancellationToken cancellationToken) =>
        RecordAsync(AuditEventKind.SignedIn, address, messageId, method, cancellationToken);

    /// <summary>The message a local return URL leads to (<c>/messages/{id}...</c>), so a sign-in can be tied to it.</summary>
    public static Guid? MessageIdOf(string? returnUrl)
    {
        const string prefix = "/messages/";
        if (returnUrl is null || !returnUrl.StartsWith(prefix, StringComparison.Ordinal) || returnUrl.Length < prefix.Length + 36)
        {
            return null;
        }

        return Guid.TryParseExact(returnUrl.AsSpan(prefix.Length, 36), "D", out var id) ? id : null;
    }
}
