using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Revocation;

/// <summary>A message the signed-in reader sent, as the sender's revoke link and confirmation show it.</summary>
public sealed record SentMessage(Guid MessageId, string? Subject, DateTimeOffset ReceivedAt, IReadOnlyList<string> Recipients, int StillReading, bool Shredded)
{
    public bool Revocable => StillReading > 0 && !Shredded;
}

/// <summary>
/// The sender's side of revocation (as OME offers Outlook senders): a portal user whose verified
/// address is the message's <see cref="MessageRecord.SenderAddress"/> may revoke it for everyone. The
/// sender is usually not a recipient, so this is its own check, not the recipient access decision:
/// anyone else (a recipient, a stranger) gets null, which pages answer as "not found".
/// </summary>
public sealed class SenderRevocation(OmePortalDbContext db, MessageRevocation revocation, MessageVault vault)
{
    /// <summary>The message if <paramref name="address"/> is its sender; else null (whoever else asks).</summary>
    public async Task<(SentMessage Message, Guid TenantId)?> FindAsync(Guid messageId, string address, CancellationToken cancellationToken)
    {
        var sender = AddressNormalizer.Normalize(address);
        var row = await Query(db.Messages.Where(m => m.Id == messageId && m.SenderAddress == sender && m.SenderAddress != string.Empty))
            .SingleOrDefaultAsync(cancellationToken);
        return row is null ? null : (await ToSentAsync(row, cancellationToken), row.Record.TenantId);
    }

    /// <summary>Revokes the message for every recipient if <paramref name="address"/> sent it; null otherwise.</summary>
    public async Task<RevocationResult?> RevokeAsync(Guid messageId, string address, CancellationToken cancellationToken)
    {
        var found = await FindAsync(messageId, address, cancellationToken);
        return found is null ? null : await revocation.RevokeAsync(found.Value.TenantId, messageId, null, AddressNormalizer.Normalize(address), cancellationToken);
    }

    private static IQueryable<Row> Query(IQueryable<MessageRecord> messages) =>
        messages.AsNoTracking().Select(m => new Row(m, m.Recipients.OrderBy(r => r.Address).Select(r => r.Address).ToList(), m.Recipients.Count(r => r.RevokedAt == null)));

    private async Task<SentMessage> ToSentAsync(Row row, CancellationToken cancellationToken)
    {
        var m = row.Record;
        return new SentMessage(m.Id, await SubjectAsync(m, cancellationToken), m.ReceivedAt, row.Recipients, row.StillReading, m.WrappedKey is null);
    }

    /// <summary>The subject from the encrypted render model (the sender wrote it); null once shredded.</summary>
    private async Task<string?> SubjectAsync(MessageRecord message, CancellationToken cancellationToken)
    {
        try
        {
            if (await vault.OpenBlobAsync(db, message, BlobPurpose.RenderModel, cancellationToken) is VaultReadResult.Opened opened)
            {
                await using var plaintext = opened.Plaintext;
                return (await RenderModelSerializer.DeserializeSummaryAsync(plaintext, cancellationToken)).Subject;
            }
        }
        catch (FileNotFoundException)
        {
            // Shredded between the query and the read.
        }

        return null;
    }

    private sealed record Row(MessageRecord Record, List<string> Recipients, int StillReading);
}
