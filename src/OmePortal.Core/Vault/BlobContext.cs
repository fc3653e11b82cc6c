namespace OmePortal.Core.Vault;

/// <summary>
/// What an encrypted blob holds for its message. The purpose is part of every segment's associated
/// data and of the per-blob key derivation, so the content of a message can never be served (or
/// decrypted) as its render model, or a sealed value as either, even though all three are encrypted
/// under the same message key.
/// </summary>
public enum BlobPurpose : byte
{
    /// <summary>The original MIME bytes of the message.</summary>
    Content = 1,

    /// <summary>The sanitised model the reading pages render from.</summary>
    RenderModel = 2,

    /// <summary>A small value sealed with <see cref="VaultStream.Seal"/> (e.g. a link token kept for notification retries).</summary>
    Sealed = 3,

    /// <summary>
    /// The render model without its bodies (<see cref="Mime.RenderModelSerializer.SerializeSummary"/>),
    /// sealed into the message's row so that pages showing a message but not its body open no blob.
    /// </summary>
    RenderSummary = 4,

    /// <summary>
    /// A page image or the text layer of an attachment's preview, rendered on the server. Its plaintext starts
    /// with the attachment index and page it belongs to, which the reader checks, so a preview blob cannot be
    /// shown as another attachment's or another page's.
    /// </summary>
    AttachmentPreview = 5,
}

/// <summary>
/// Binds ciphertext to where it belongs. The tenant id, message id and purpose go into the
/// associated data of every segment (and into the HKDF info of the per-blob key), so a blob copied
/// to another message, another tenant or another purpose fails authentication instead of
/// decrypting: with database or storage write access an attacker could otherwise swap ciphertext
/// between rows that share a key, or present one message's content under another message's id.
/// </summary>
/// <param name="TenantId">The tenant that owns the message.</param>
/// <param name="MessageId">The message the blob belongs to.</param>
/// <param name="Purpose">What the blob holds.</param>
public readonly record struct BlobContext(Guid TenantId, Guid MessageId, BlobPurpose Purpose);
