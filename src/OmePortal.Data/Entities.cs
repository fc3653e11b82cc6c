using OmePortal.Core.Intake;
using OmePortal.Core.Mime;

namespace OmePortal.Data;

/// <summary>An organisation using the portal. Everything else hangs off a tenant and every query is scoped to one.</summary>
public sealed class Tenant
{
    public Guid Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public long MaxMessageBytes { get; set; }
    public ProtectionLevel DefaultProtection { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One version of a tenant key, wrapped by the master key (AES-KWP). A retired version has no key bytes left.</summary>
public sealed class TenantKeyRecord
{
    public Guid TenantId { get; set; }
    public int Version { get; set; }
    public byte[]? WrappedKey { get; set; }
    public bool IsActive { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
}

/// <summary>A tenant API key. Only the SHA-256 of the key is kept; the key itself is shown once.</summary>
public sealed class ApiKeyRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    public required byte[] KeyHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>A branding template: the brand as JSON (no secrets, no message content) plus its logo.</summary>
public sealed class BrandTemplateRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public bool IsDefault { get; set; }
    public required string Json { get; set; }
    public byte[]? Logo { get; set; }
    public string? LogoContentType { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A protected message. Content and render model live encrypted in the blob store; this row holds only
/// routing metadata and the message key wrapped by the tenant key. <see cref="WrappedKey"/> null means
/// the message was crypto-shredded.
/// </summary>
public sealed class MessageRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public IngestSource Source { get; set; }
    public ProtectionLevel Protection { get; set; }
    public Guid TemplateId { get; set; }
    public required string SenderAddress { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public long SizeBytes { get; set; }
    public int KeyVersion { get; set; }
    public byte[]? WrappedKey { get; set; }
    public DateTimeOffset? ShreddedAt { get; set; }
    public required string ContentBlob { get; set; }
    public required string RenderBlob { get; set; }
    public int RenderPolicyVersion { get; set; }

    /// <summary>Keyed hash of the Message-ID of an SMTP submission, so a retried transaction is stored once.</summary>
    public byte[]? DedupeHash { get; set; }

    public List<RecipientRecord> Recipients { get; set; } = [];
}

/// <summary>One recipient of one message. The link token is kept only as its SHA-256.</summary>
public sealed class RecipientRecord
{
    public Guid Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid TenantId { get; set; }
    public required string Address { get; set; }
    public RecipientKind Kind { get; set; }
    public required byte[] TokenHash { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

public enum OutboundMailKind
{
    Notification = 0,
}

public enum OutboundMailStatus
{
    Pending = 0,
    Sent = 1,
    Failed = 2,
    Cancelled = 3,
}

/// <summary>
/// A mail the portal must send, queued in the same transaction as the message that causes it, so
/// nothing is lost across a restart. <see cref="SealedPayload"/> holds what the mail needs that must
/// not rest in plaintext (the link token), sealed with the message key.
/// </summary>
public sealed class OutboundMailRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid? MessageId { get; set; }
    public Guid? RecipientId { get; set; }
    public OutboundMailKind Kind { get; set; }
    public required string ToAddress { get; set; }
    public OutboundMailStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
    public byte[]? SealedPayload { get; set; }
}
