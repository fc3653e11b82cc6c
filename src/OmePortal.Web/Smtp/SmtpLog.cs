using System.Net;
using OmePortal.Core.Intake;

namespace OmePortal.Web.Smtp;

/// <summary>
/// Every log line of the SMTP gateway (event ids 4001–4099). Envelope addresses, subjects, bodies,
/// API keys and user names never appear: only session ids, peers, tenant ids, sizes and outcomes.
/// </summary>
internal static partial class SmtpLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "SMTP gateway listening on {EndPoint} (STARTTLS certificate {Thumbprint}, SIZE {MaxSize}).")]
    public static partial void Listening(ILogger logger, EndPoint? endPoint, string thumbprint, long maxSize);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "SMTP gateway disabled by configuration.")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "SMTP gateway stopped.")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Generated a self-signed STARTTLS certificate {Thumbprint} at {Path}.")]
    public static partial void CertificateGenerated(ILogger logger, string thumbprint, string path);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "The generated STARTTLS certificate at {Path} has expired or is unreadable; making a new one.")]
    public static partial void CertificateReplaced(ILogger logger, string path, Exception? exception);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "The SMTP listener failed.")]
    public static partial void ListenerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "SMTP session {SessionId} opened from {Remote}.")]
    public static partial void SessionOpened(ILogger logger, Guid sessionId, IPAddress? remote);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Debug, Message = "SMTP session {SessionId} closed.")]
    public static partial void SessionClosed(ILogger logger, Guid sessionId);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "SMTP session {SessionId} faulted ({ExceptionType}).")]
    public static partial void SessionFaulted(ILogger logger, Guid sessionId, string exceptionType);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "SMTP session {SessionId} authenticated for tenant {TenantId}.")]
    public static partial void Authenticated(ILogger logger, Guid sessionId, Guid tenantId);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Warning, Message = "SMTP session {SessionId} from {Remote} failed to authenticate.")]
    public static partial void AuthenticationFailed(ILogger logger, Guid sessionId, IPAddress? remote);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Error, Message = "SMTP session {SessionId}: could not check the API key.")]
    public static partial void AuthenticationError(ILogger logger, Guid sessionId, Exception exception);

    [LoggerMessage(EventId = 4030, Level = LogLevel.Warning, Message = "SMTP session {SessionId} from {Remote} refused at MAIL FROM: not an allowed network and not authenticated.")]
    public static partial void RefusedUnknownNetwork(ILogger logger, Guid sessionId, IPAddress? remote);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Information, Message = "SMTP session {SessionId} refused at MAIL FROM: STARTTLS is required.")]
    public static partial void RefusedWithoutTls(ILogger logger, Guid sessionId);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Information, Message = "SMTP session {SessionId}: declared size {Size} exceeds the limit {Limit} of tenant {TenantId}.")]
    public static partial void DeclaredTooLarge(ILogger logger, Guid sessionId, long size, long limit, Guid tenantId);

    [LoggerMessage(EventId = 4033, Level = LogLevel.Error, Message = "SMTP session {SessionId}: the connector's tenant '{Slug}' does not exist (OmePortal:Smtp:TenantSlug).")]
    public static partial void UnknownTenant(ILogger logger, Guid sessionId, string slug);

    [LoggerMessage(EventId = 4034, Level = LogLevel.Error, Message = "SMTP session {SessionId}: could not resolve the tenant at MAIL FROM.")]
    public static partial void TenantLookupFailed(ILogger logger, Guid sessionId, Exception exception);

    [LoggerMessage(EventId = 4040, Level = LogLevel.Information, Message = "SMTP session {SessionId}: message {MessageId} stored for tenant {TenantId} ({Size} bytes, {RecipientCount} envelope recipient(s), duplicate: {Duplicate}).")]
    public static partial void Stored(ILogger logger, Guid sessionId, Guid messageId, Guid tenantId, long size, int recipientCount, bool duplicate);

    [LoggerMessage(EventId = 4041, Level = LogLevel.Information, Message = "SMTP session {SessionId}: message refused for tenant {TenantId}: {Error}.")]
    public static partial void Rejected(ILogger logger, Guid sessionId, Guid tenantId, IngestError error);

    [LoggerMessage(EventId = 4042, Level = LogLevel.Information, Message = "SMTP session {SessionId}: {Size} bytes exceed the limit {Limit} of tenant {TenantId}.")]
    public static partial void DataTooLarge(ILogger logger, Guid sessionId, long size, long limit, Guid tenantId);

    [LoggerMessage(EventId = 4043, Level = LogLevel.Error, Message = "SMTP session {SessionId}: storing the message failed; answered 451 so the sender retries.")]
    public static partial void StoreFailed(ILogger logger, Guid sessionId, Exception exception);

    [LoggerMessage(EventId = 4044, Level = LogLevel.Warning, Message = "SMTP session {SessionId}: storing was cancelled by shutdown; answered 421 so the sender retries.")]
    public static partial void StoreCancelled(ILogger logger, Guid sessionId);
    [LoggerMessage(EventId = 4050, Level = LogLevel.Warning, Message = "SMTP connection from {Remote} refused with 421: {Refusal}.")]
    public static partial void SessionRefused(ILogger logger, IPAddress? remote, SessionRefusal refusal);

    [LoggerMessage(EventId = 4051, Level = LogLevel.Warning, Message = "SMTP session {SessionId} ended by the gateway: {Reason} (limit {Limit}).")]
    public static partial void SessionCut(ILogger logger, Guid sessionId, SessionCut reason, long limit);

    [LoggerMessage(EventId = 4052, Level = LogLevel.Warning, Message = "SMTP session {SessionId} from {Remote}: AUTH refused with 421, too many failed attempts from this client.")]
    public static partial void AuthenticationThrottled(ILogger logger, Guid sessionId, IPAddress? remote);

    [LoggerMessage(EventId = 4053, Level = LogLevel.Warning, Message = "SMTP session {SessionId} refused at MAIL FROM: its API key was revoked after it authenticated.")]
    public static partial void KeyRevoked(ILogger logger, Guid sessionId);

    [LoggerMessage(EventId = 4054, Level = LogLevel.Information, Message = "SMTP session {SessionId}: RCPT refused, the transaction already has {Limit} recipients.")]
    public static partial void TooManyRecipients(ILogger logger, Guid sessionId, int limit);
}
