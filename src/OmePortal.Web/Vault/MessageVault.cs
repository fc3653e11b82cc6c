using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Storage;

namespace OmePortal.Web.Vault;

/// <summary>The result of asking for a message's key: the key, or the fact that it was destroyed.</summary>
public abstract record MessageKeyResult
{
    private MessageKeyResult() { }

    public sealed record Available(MessageKey Key) : MessageKeyResult;

    /// <summary>The wrapped key was deleted (revocation, expiry): the content is unreadable by design.</summary>
    public sealed record Shredded(DateTimeOffset? ShreddedAt) : MessageKeyResult;
}

/// <summary>The result of opening an encrypted blob of a message.</summary>
public abstract record VaultReadResult
{
    private VaultReadResult() { }

    /// <summary>A plaintext stream; dispose it. It throws <see cref="VaultIntegrityException"/> if the ciphertext was tampered with.</summary>
    public sealed record Opened(Stream Plaintext) : VaultReadResult;

    public sealed record Shredded(DateTimeOffset? ShreddedAt) : VaultReadResult;
}

/// <summary>
/// Message-level vault operations over the database and blob store: new message keys, opening
/// content, crypto-shredding, and re-wrapping after a tenant key rotation.
/// </summary>
public sealed class MessageVault(TenantKeyRing keyRing, MessageKeyMemo keyMemo, MasterKeyHolder master, IBlobStore blobs, TimeProvider time, ILogger<MessageVault> logger)
{
    private readonly Lazy<byte[]> _dedupeKey = new(() => master.Key.DeriveSubkey("omeportal/dedupe/v1"));

    public static string BlobName(Guid tenantId, Guid messageId, BlobPurpose purpose)
    {
        var id = messageId.ToString("N");
        var suffix = purpose switch
        {
            BlobPurpose.Content => "content",
            BlobPurpose.RenderModel => "render",
            _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
        };
        return $"{tenantId:N}/{id[^2..]}/{id}.{suffix}";
    }

    public async Task<(MessageKey Key, int KeyVersion, byte[] WrappedKey)> NewMessageKeyAsync(OmePortalDbContext db, Guid tenantId, CancellationToken cancellationToken)
    {
        var tenantKey = await keyRing.GetActiveAsync(db, tenantId, cancellationToken);
        var key = MessageKey.Generate();
        return (key, tenantKey.Version, key.WrapWith(tenantKey));
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into a new durable blob of the message.</summary>
    public Task<long> WriteBlobAsync(MessageKey key, Guid tenantId, Guid messageId, BlobPurpose purpose, Stream plaintext, CancellationToken cancellationToken) =>
        WriteBlobAsync(BlobName(tenantId, messageId, purpose), key, tenantId, messageId, purpose, plaintext, cancellationToken);

    private Task<long> WriteBlobAsync(string name, MessageKey key, Guid tenantId, Guid messageId, BlobPurpose purpose, Stream plaintext, CancellationToken cancellationToken) =>
        blobs.WriteAsync(
            name,
            (destination, ct) => VaultStream.EncryptAsync(key, new BlobContext(tenantId, messageId, purpose), plaintext, destination, ct),
            cancellationToken);

    public async Task<MessageKeyResult> OpenKeyAsync(OmePortalDbContext db, MessageRecord message, CancellationToken cancellationToken)
    {
        if (message.WrappedKey is null)
        {
            return new MessageKeyResult.Shredded(message.ShreddedAt);
        }

        if (keyMemo.TryCopy(message.Id, message.KeyVersion, message.WrappedKey, out var kept))
        {
            return new MessageKeyResult.Available(kept);
        }

        var tenantKey = await keyRing.GetAsync(db, message.TenantId, message.KeyVersion, cancellationToken)
            ?? throw new InvalidOperationException($"Tenant key version {message.KeyVersion} of message {message.Id} is retired but the message was not re-wrapped.");
        var key = MessageKey.Unwrap(tenantKey, message.WrappedKey);
        keyMemo.Remember(message.Id, message.KeyVersion, message.WrappedKey, key);
        return new MessageKeyResult.Available(key);
    }

    /// <summary>Opens one of the message's blobs as a decrypting stream, or says that the message was shredded.</summary>
    public async Task<VaultReadResult> OpenBlobAsync(OmePortalDbContext db, MessageRecord message, BlobPurpose purpose, CancellationToken cancellationToken)
    {
        switch (await OpenKeyAsync(db, message, cancellationToken))
        {
            case MessageKeyResult.Shredded shredded:
                return new VaultReadResult.Shredded(shredded.ShreddedAt);
            case MessageKeyResult.Available available:
                var name = purpose == BlobPurpose.Content ? message.ContentBlob : message.RenderBlob;
                var ciphertext = await blobs.OpenReadAsync(name, cancellationToken);
                return new VaultReadResult.Opened(new KeyOwningStream(
                    VaultStream.OpenDecrypt(available.Key, new BlobContext(message.TenantId, message.Id, purpose), ciphertext),
                    available.Key));
            default:
                throw new InvalidOperationException("Unknown key result.");
        }
    }

    /// <summary>The render model's summary sealed for the message's row (<see cref="MessageRecord.SealedSummary"/>).</summary>
    public static byte[] SealSummary(MessageKey key, Guid tenantId, Guid messageId, RenderModel model) =>
        VaultStream.Seal(key, new BlobContext(tenantId, messageId, BlobPurpose.RenderSummary), RenderModelSerializer.SerializeSummary(model));

    /// <summary>
    /// The message's render model summary from its row, decrypted: the bytes for
    /// <see cref="RenderModelSerializer.DeserializeSummary(ReadOnlySpan{byte})"/> (zero them when done), or null
    /// when the row holds none (stored before summaries were kept there) or the message was shredded.
    /// </summary>
    /// <exception cref="VaultIntegrityException">The sealed summary is not this message's (tampered or copied from another row).</exception>
    public async Task<byte[]?> OpenSummaryAsync(OmePortalDbContext db, MessageRecord message, CancellationToken cancellationToken)
    {
        if (message.SealedSummary is not { } sealedSummary || await OpenKeyAsync(db, message, cancellationToken) is not MessageKeyResult.Available available)
        {
            return null;
        }

        using (available.Key)
        {
            return OpenSummary(available.Key, message);
        }
    }

    /// <summary>As <see cref="OpenSummaryAsync"/>, for a caller that holds the message key already.</summary>
    /// <exception cref="VaultIntegrityException">The sealed summary is not this message's.</exception>
    public static byte[]? OpenSummary(MessageKey key, MessageRecord message) =>
        message.SealedSummary is { } sealedSummary
            ? VaultStream.Open(key, new BlobContext(message.TenantId, message.Id, BlobPurpose.RenderSummary), sealedSummary)
            : null;

    /// <summary>
    /// Crypto-shredding: the wrapped message key is deleted, so no copy of the ciphertext (backups
    /// included) can be decrypted again. Blobs are removed as well, and pending mail for it is cancelled.
    /// </summary>
    public async Task ShredAsync(OmePortalDbContext db, Guid messageId, CancellationToken cancellationToken)
    {
        var message = await db.Messages.SingleAsync(m => m.Id == messageId, cancellationToken);
        if (message.WrappedKey is null)
        {
            return;
        }

        message.WrappedKey = null;
        message.SealedSummary = null;
        message.ShreddedAt = time.GetUtcNow();
        await db.OutboundMails
            .Where(o => o.MessageId == messageId && o.Status == OutboundMailStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, OutboundMailStatus.Cancelled).SetProperty(o => o.SealedPayload, (byte[]?)null), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        ForgetKey(messageId);
        logger.LogInformation("Message {MessageId} crypto-shredded.", messageId);
        await DeleteBlobsAsync(message, cancellationToken);
    }

    /// <summary>Zeroes the message's key kept in memory for reuse, if any: for shredding done elsewhere (<see cref="MessageKeyMemo"/>).</summary>
    public void ForgetKey(Guid messageId) => keyMemo.Forget(messageId);

    /// <summary>
    /// Stores a render model built again under the current sanitiser policy. Blobs are never
    /// overwritten, so it goes to a fresh name and the message switches to it in one conditional
    /// update: of two readers re-rendering at once only one switches, the other's copy is removed.
    /// Returns false when the message was shredded or another reader got there first.
    /// </summary>
    public async Task<bool> ReplaceRenderModelAsync(OmePortalDbContext db, MessageRecord message, RenderModel model, CancellationToken cancellationToken)
    {
        if (await OpenKeyAsync(db, message, cancellationToken) is not MessageKeyResult.Available available)
        {
            return false;
        }

        var name = $"{BlobName(message.TenantId, message.Id, BlobPurpose.RenderModel)}.p{model.PolicyVersion}-{Guid.NewGuid():N}";
        byte[] summary;
        using (available.Key)
        using (var plaintext = new MemoryStream(RenderModelSerializer.Serialize(model), writable: false))
        {
            await WriteBlobAsync(name, available.Key, message.TenantId, message.Id, BlobPurpose.RenderModel, plaintext, cancellationToken);
            summary = SealSummary(available.Key, message.TenantId, message.Id, model);
        }

        var previous = message.RenderBlob;
        var switched = await db.Messages
            .Where(m => m.Id == message.Id && m.RenderBlob == previous && m.WrappedKey != null && m.RenderPolicyVersion < model.PolicyVersion)
            .ExecuteUpdateAsync(
                s => s.SetProperty(m => m.RenderBlob, name).SetProperty(m => m.RenderPolicyVersion, model.PolicyVersion).SetProperty(m => m.SealedSummary, summary),
                cancellationToken);
        await blobs.DeleteAsync(switched == 1 ? previous : name, cancellationToken);
        if (switched == 1)
        {
            logger.LogInformation("Message {MessageId}: render model rebuilt under sanitiser policy {PolicyVersion}.", message.Id, model.PolicyVersion);
        }

        return switched == 1;
    }

    /// <summary>
    /// Removes whatever a failed intake stored of a new message's blobs (one may be written, the other not), so
    /// that nothing is left that no row points at. A second failure of the store is logged, not thrown: the
    /// first failure is what the caller must report.
    /// </summary>
    public async Task DeleteBlobsOfFailedIntakeAsync(Guid tenantId, Guid messageId)
    {
        foreach (var purpose in new[] { BlobPurpose.RenderModel, BlobPurpose.Content })
        {
            try
            {
                await blobs.DeleteAsync(BlobName(tenantId, messageId, purpose), CancellationToken.None);
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Message {MessageId}: a blob of a failed intake could not be removed.", messageId);
            }
        }
    }

    /// <summary>Removes a message's blobs (after a failed commit, or after shredding).</summary>
    public async Task DeleteBlobsAsync(MessageRecord message, CancellationToken cancellationToken)
    {
        await blobs.DeleteAsync(message.ContentBlob, cancellationToken);
        await blobs.DeleteAsync(message.RenderBlob, cancellationToken);
    }

    /// <summary>
    /// Re-wraps up to <paramref name="batchSize"/> message keys of the tenant that are still wrapped by an
    /// older tenant key version; returns how many were re-wrapped. When none are left, versions that no
    /// message uses are retired (their wrapped bytes deleted).
    /// </summary>
    public async Task<int> RewrapAsync(OmePortalDbContext db, Guid tenantId, int batchSize, CancellationToken cancellationToken)
    {
        var active = await keyRing.GetActiveAsync(db, tenantId, cancellationToken);
        var stale = await db.Messages.AsNoTracking()
            .Where(m => m.TenantId == tenantId && m.KeyVersion != active.Version && m.WrappedKey != null)
            .OrderBy(m => m.Id)
            .Take(batchSize)
            .Select(m => new { m.Id, m.KeyVersion, m.WrappedKey })
            .ToListAsync(cancellationToken);
        foreach (var message in stale)
        {
            var old = await keyRing.GetAsync(db, tenantId, message.KeyVersion, cancellationToken)
                ?? throw new InvalidOperationException($"Tenant key version {message.KeyVersion} is retired but still in use.");
            using var key = MessageKey.Unwrap(old, message.WrappedKey!);
            var rewrapped = key.WrapWith(active);

            // Conditional: a message shredded (or re-wrapped elsewhere) since it was read keeps that state;
            // an unconditional save would write a live key back onto a shredded message.
            await db.Messages
                .Where(m => m.Id == message.Id && m.KeyVersion == message.KeyVersion && m.WrappedKey != null)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.WrappedKey, rewrapped).SetProperty(m => m.KeyVersion, active.Version), cancellationToken);
        }
        if (stale.Count < batchSize)
        {
            await RetireUnusedVersionsAsync(db, tenantId, active.Version, cancellationToken);
        }

        return stale.Count;
    }

    private async Task RetireUnusedVersionsAsync(OmePortalDbContext db, Guid tenantId, int activeVersion, CancellationToken cancellationToken)
    {
        var inUse = await db.Messages.Where(m => m.TenantId == tenantId && m.WrappedKey != null)
            .Select(m => m.KeyVersion).Distinct().ToListAsync(cancellationToken);
        // Signing identities seal their private key under a key wrapped like a message key (RecipientKeys/SigningIdentities.cs).
        inUse.AddRange(await db.SigningIdentities.Where(i => i.TenantId == tenantId).Select(i => i.KeyVersion).Distinct().ToListAsync(cancellationToken));
        var retirable = await db.TenantKeys
            .Where(k => k.TenantId == tenantId && k.Version != activeVersion && k.WrappedKey != null && !inUse.Contains(k.Version))
            .ToListAsync(cancellationToken);
        foreach (var version in retirable)
        {
            version.WrappedKey = null;
            version.RetiredAt = time.GetUtcNow();
            keyRing.Forget(tenantId, version.Version);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A keyed hash of a retried SMTP transaction's identity (Message-ID, envelope): equal for a retry, useless to anyone without the master key.</summary>
    public byte[] DedupeHash(Guid tenantId, string material) =>
        HMACSHA256.HashData(_dedupeKey.Value, Encoding.UTF8.GetBytes($"{tenantId:N}\n{material}"));

    /// <summary>Disposes the message key together with the plaintext stream that uses it.</summary>
    private sealed class KeyOwningStream(Stream inner, MessageKey key) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                key.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
