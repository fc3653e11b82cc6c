using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Revocation;

/// <summary>What <see cref="MessageShredder.ShredIfUnreadableAsync"/> found and did.</summary>
public enum ShredOutcome
{
    /// <summary>No such message (or another tenant's).</summary>
    NotFound,

    /// <summary>Some recipient may still read it: nothing was touched.</summary>
    StillReadable,

    /// <summary>This call destroyed the key.</summary>
    Shredded,

    /// <summary>The key was already gone (an earlier sweep, another instance, or the vault's own shred).</summary>
    AlreadyShredded,
}

/// <summary>
/// Crypto-shreds a message once no recipient can read it any more: it expired, or every recipient was
/// revoked. Safe to run on several instances at once and to repeat after a crash:
/// <list type="bullet">
/// <item>Both conditions only ever become true (expiry is fixed at intake, a revocation is never undone),
/// so the blobs can be deleted <em>before</em> the key: a crash in between leaves a message that is
/// still due and is finished by the next sweep, never blobs nobody will delete.</item>
/// <item>The key is removed by one conditional update (<c>WrappedKey != null</c>): of two instances only
/// one changes the row, and only that one records the audit events.</item>
/// </list>
/// The blob deletion reuses <see cref="MessageVault.DeleteBlobsAsync"/>; <see cref="MessageVault.ShredAsync"/>
/// itself is not used because its tracked update cannot tell which of two callers won.
/// </summary>
public sealed partial class MessageShredder(OmePortalDbContext db, MessageVault vault, OmePortal.Web.Storage.IBlobStore blobs, AuditLog audit, TimeProvider time, ILogger<MessageShredder> logger)
{
    public async Task<ShredOutcome> ShredIfUnreadableAsync(Guid messageId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var message = await db.Messages.AsNoTracking()
            .Where(m => m.Id == messageId)
            .Select(m => new
            {
                Record = m,
                Readers = m.Recipients.Count(r => r.RevokedAt == null),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (message is null)
        {
            return ShredOutcome.NotFound;
        }

        var record = message.Record;
        if (record.WrappedKey is null)
        {
            vault.ForgetKey(messageId);
            return ShredOutcome.AlreadyShredded;
        }

        var expired = record.ExpiresAt is { } expires && expires <= now;
        if (!expired && message.Readers > 0)
        {
            return ShredOutcome.StillReadable;
        }

        await vault.DeleteBlobsAsync(record, cancellationToken);
        await OmePortal.Web.Previews.PreviewBlobs.DeleteForMessageAsync(db, blobs, messageId, cancellationToken);

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var won = await db.Messages
                .Where(m => m.Id == messageId && m.WrappedKey != null)
                .ExecuteUpdateAsync(
                    s => s.SetProperty(m => m.WrappedKey, (byte[]?)null).SetProperty(m => m.SealedSummary, (byte[]?)null).SetProperty(m => m.ShreddedAt, now),
                    cancellationToken);
            if (won == 0)
            {
                vault.ForgetKey(messageId);
                return ShredOutcome.AlreadyShredded;
            }

            await CancelPendingMailAsync(db, messageId, recipientId: null, cancellationToken);
            if (expired)
            {
                audit.Add(record.TenantId, AuditEventKind.MessageExpired, AuditLog.SystemActor, messageId);
            }

            audit.Add(record.TenantId, AuditEventKind.MessageShredded, AuditLog.SystemActor, messageId, detail: expired ? "expired" : "revoked");
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        vault.ForgetKey(messageId);

        // A preview stored while this ran: its writer checks the key after storing, this catches the rest.
        await OmePortal.Web.Previews.PreviewBlobs.DeleteForMessageAsync(db, blobs, messageId, cancellationToken);

        // A reader re-rendering between the deletion above and the update may have switched the message to a new render blob.
        var current = await db.Messages.AsNoTracking().Where(m => m.Id == messageId).Select(m => m.RenderBlob).SingleAsync(cancellationToken);
        if (current != record.RenderBlob)
        {
            await vault.DeleteBlobsAsync(new MessageRecord { SenderAddress = record.SenderAddress, ContentBlob = record.ContentBlob, RenderBlob = current }, cancellationToken);
        }

        LogShredded(messageId, expired ? "expired" : "revoked for every recipient");
        return ShredOutcome.Shredded;
    }

    /// <summary>Cancels mail not yet sent for the message (or one recipient of it) and drops its sealed link token.</summary>
    internal static Task<int> CancelPendingMailAsync(OmePortalDbContext db, Guid messageId, Guid? recipientId, CancellationToken cancellationToken) =>
        db.OutboundMails
            .Where(o => o.MessageId == messageId && o.Status == OutboundMailStatus.Pending && (recipientId == null || o.RecipientId == recipientId))
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, OutboundMailStatus.Cancelled).SetProperty(o => o.SealedPayload, (byte[]?)null), cancellationToken);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Message {MessageId} crypto-shredded: {Reason}.")]
    private partial void LogShredded(Guid messageId, string reason);
}
