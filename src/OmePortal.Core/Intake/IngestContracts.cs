namespace OmePortal.Core.Intake;

/// <summary>Where a message entered OmePortal.</summary>
public enum IngestSource
{
    Api = 0,
    Smtp = 1,
    Reply = 2,
}

/// <summary>
/// One message to protect. <see cref="Mime"/> is the raw RFC 5322 message; it must be seekable
/// (intake holds the bytes once, parses them in place and encrypts from the same buffer).
/// </summary>
public sealed record IngestRequest(
    Guid TenantId,
    Stream Mime,
    IngestSource Source,
    ProtectionLevel? Protection = null,
    string? TemplateName = null,
    int? ExpiresInDays = null,
    string? EnvelopeSender = null,
    IReadOnlyList<string>? EnvelopeRecipients = null,
    Guid? ConversationId = null,
    Guid? InReplyToMessageId = null,
    string? Actor = null,
    OmePortal.Core.EndToEnd.DeliveryPreference Delivery = OmePortal.Core.EndToEnd.DeliveryPreference.Portal,
    bool EndToEndForDoNotForward = false);

public sealed record IngestedRecipient(string Address, string Link);

/// <summary>The outcome of an ingest: accepted (and durable) or rejected with a reason the caller can show.</summary>
public abstract record IngestResult
{
    private IngestResult() { }

    /// <summary>The message is encrypted, stored and committed; notifications are queued.</summary>
    public sealed record Accepted(
        Guid MessageId,
        ProtectionLevel Protection,
        DateTimeOffset? ExpiresAt,
        IReadOnlyList<IngestedRecipient> Recipients,
        bool Duplicate) : IngestResult;

    /// <summary>The input is at fault; retrying the same bytes will fail again.</summary>
    public sealed record Rejected(IngestError Error, string Detail) : IngestResult;
}

public enum IngestError
{
    NotAMessage,
    Unparseable,
    NoRecipients,
    TooLarge,
    UnknownTemplate,
    InvalidExpiry,

    /// <summary>The From or envelope sender is outside the tenant's accepted domains (or it has none).</summary>
    SenderNotAccepted,

    /// <summary>More recipients than the intake limit allows.</summary>
    TooManyRecipients,

    /// <summary>More MIME parts or header lines than the intake limits allow.</summary>
    TooComplex,
}
