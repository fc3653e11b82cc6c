using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Audit;

namespace OmePortal.Web.Revocation;

/// <summary>The outcome of a revocation.</summary>
public abstract record RevocationResult
{
    private RevocationResult() { }

    /// <summary>No such message or recipient in this tenant (the same answer for another tenant's ids).</summary>
    public sealed record NotFound : RevocationResult;

    /// <param name="RevokedRecipients">Recipients this call revoked (0 when they all were already).</param>
    /// <param name="Shredded">True when nobody can read the message any more and its key is gone.</param>
    public sealed record Done(int RevokedRecipients, bool Shredded) : RevocationResult;
}

/// <summary>One recipient as the confirmation step shows it.</summary>
public sealed record RevocationTarget(Guid RecipientId, string Address, bool Revoked, bool Viewed);

/// <summary>What a revocation would touch: shown before the admin or sender confirms.</summary>
public sealed record RevocationPreview(
    Guid MessageId,
    string SenderAddress,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ExpiresAt,
    bool Shredded,
    int PendingMails,
    IReadOnlyList<RevocationTarget> Recipients)
{
    public int StillReading => Recipients.Count(r => !r.Revoked);
}

/// <summary>
/// Revokes a message for all its recipients or for one. Access is refused at once, because every
/// page and endpoint asks the access decision, which reads <see cref="RecipientRecord.RevokedAt"/>; pending
/// notifications for the revoked recipients are cancelled; and once nobody is left who may read,
/// the message key is shredded straight away (the sweeper would do it later anyway).
/// Every query takes the tenant id: an id of another tenant is simply not found.
/// </summary>
public sealed class MessageRevocation(OmePortalDbContext db, AuditLog audit, MessageShredder shredder, TimeProvider time)
{
    public async Task<RevocationPreview?> PreviewAsync(Guid tenantId, Guid messageId, CancellationToken cancellationToken)
    {
        var tenant = db.ForTenant(tenantId);
        var message = await tenant.Messages.AsNoTracking()
            .Where(m => m.Id == messageId)
            .Select(m => new
            {
                m.Id,
                m.SenderAddress,
                m.ReceivedAt,
                m.ExpiresAt,
                Shredded = m.WrappedKey == null,
                Recipients = m.Recipients.OrderBy(r => r.Address)
                    .Select(r => new RevocationTarget(r.Id, r.Address, r.RevokedAt != null, r.FirstViewedAt != null)).ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (message is null)
        {
            return null;
        }

        var pending = await tenant.OutboundMails.CountAsync(o => o.MessageId == messageId && o.Status == OutboundMailStatus.Pending, cancellationToken);
        return new RevocationPreview(message.Id, message.SenderAddress, message.ReceivedAt, message.ExpiresAt, message.Shredded, pending, message.Recipients);
    }

    /// <summary>Revokes <paramref name="recipientId"/> of the message, or every recipient when it is null.</summary>
    /// <param name="actor">For the audit log: the admin's or sender's address.</param>
    public async Task<RevocationResult> RevokeAsync(Guid tenantId, Guid messageId, Guid? recipientId, string actor, CancellationToken cancellationToken)
    {
        var tenant = db.ForTenant(tenantId);
        var candidates = await tenant.Recipients.AsNoTracking()
            .Where(r => r.MessageId == messageId && (recipientId == null || r.Id == recipientId))
            .Select(r => r.Id)
            .ToListAsync(cancellationToken);
        var messageExists = await tenant.Messages.AnyAsync(m => m.Id == messageId, cancellationToken);
        if (!messageExists || (recipientId is not null && candidates.Count == 0))
        {
            return new RevocationResult.NotFound();
        }

        var now = time.GetUtcNow();
        var revoked = 0;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            foreach (var id in candidates)
            {
                // Conditional per recipient: of two admins revoking at once, each recipient is revoked (and audited) once.
                var changed = await db.Recipients
                    .Where(r => r.Id == id && r.RevokedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, now), cancellationToken);
                if (changed == 1)
                {
                    revoked++;
                    audit.Add(tenantId, AuditEventKind.MessageRevoked, actor, messageId, id, recipientId is null ? "all" : "recipient");
                }
            }

            await MessageShredder.CancelPendingMailAsync(db, messageId, recipientId, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var outcome = await shredder.ShredIfUnreadableAsync(messageId, cancellationToken);
        return new RevocationResult.Done(revoked, outcome is ShredOutcome.Shredded or ShredOutcome.AlreadyShredded);
    }
}
