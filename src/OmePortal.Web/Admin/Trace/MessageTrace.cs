using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Admin.Audit;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin.Trace;

/// <summary>A message-level status to search for.</summary>
public enum TraceStatus
{
    Any = 0,
    Active = 1,
    DeliveryFailed = 2,
    NotViewed = 3,
    Viewed = 4,
    Replied = 5,
    Revoked = 6,
    Expired = 7,
    Shredded = 8,
}

/// <summary>Where a message stands as a whole.</summary>
public enum TraceMessageState
{
    Active,
    Expired,
    Revoked,
    Shredded,
}

/// <summary>What the notification mail of one recipient did.</summary>
public enum TraceNotificationState
{
    None,
    Queued,
    Sent,
    Failed,
    Cancelled,
}

/// <summary>The trace search. Dates are UTC days, both ends included; addresses match in part, case-insensitively.</summary>
public sealed record TraceSearch(string? Sender = null, string? Recipient = null, DateOnly? From = null, DateOnly? To = null, TraceStatus Status = TraceStatus.Any);

public sealed record TraceRow(
    Guid Id,
    DateTimeOffset ReceivedAt,
    string Sender,
    IngestSource Source,
    ProtectionLevel Protection,
    TraceMessageState State,
    int RecipientCount,
    int ViewedCount,
    long SizeBytes,
    IReadOnlyList<string> Recipients);

public sealed record TracePage(IReadOnlyList<TraceRow> Rows, int Page, int PageCount, int Total);

/// <summary>One recipient of a traced message, derived from its row, its notification mail and the audit events.</summary>
public sealed record TraceRecipient(
    Guid Id,
    string Address,
    RecipientKind Kind,
    DateTimeOffset? RevokedAt,
    TraceNotificationState Notification,
    DateTimeOffset? NotifiedAt,
    int NotificationAttempts,
    string? DeliveryError,
    DateTimeOffset? PasscodeSentAt,
    int PasscodeFailures,
    IReadOnlyList<string> SignInMethods,
    DateTimeOffset? SignedInAt,
    DateTimeOffset? FirstViewedAt,
    int Downloads,
    DateTimeOffset? RepliedAt,
    DateTimeOffset? ForwardedAt,
    OmePortal.Core.EndToEnd.DeliveryMethod Delivery = OmePortal.Core.EndToEnd.DeliveryMethod.Portal);

/// <summary>A message as the trace shows it: metadata only (the subject and body are encrypted content).</summary>
public sealed record TracedMessage(
    Guid Id,
    DateTimeOffset ReceivedAt,
    string Sender,
    IngestSource Source,
    ProtectionLevel Protection,
    string TemplateName,
    DateTimeOffset? ExpiresAt,
    long SizeBytes,
    TraceMessageState State,
    DateTimeOffset? ShreddedAt,
    Guid ConversationId,
    Guid? InReplyToMessageId,
    IReadOnlyList<TraceRecipient> Recipients,
    IReadOnlyList<AuditEvent> Events);

/// <summary>
/// The message trace of one tenant (issue 5 item 4). Every query starts from the tenant's rows
/// (<see cref="TenantDataExtensions.ForTenant"/>), so a message id of another tenant is simply not found. Statuses come from the recipient rows, the
/// outbound notification mails and the audit events; nothing is decrypted.
/// </summary>
public sealed class MessageTrace(OmePortalDbContext db, TimeProvider time)
{
    public const int PageSize = 25;
    private const int MaxAddressEvents = 500;

    public async Task<TracePage> SearchAsync(Guid tenantId, TraceSearch search, int page, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var tenant = db.ForTenant(tenantId);
        var query = Filter(tenant, search, now);
        var total = await query.CountAsync(cancellationToken);
        var pageCount = Math.Max(1, (total + PageSize - 1) / PageSize);
        page = Math.Clamp(page, 1, pageCount);
        var rows = await query
            .OrderByDescending(m => m.ReceivedAt).ThenByDescending(m => m.Id)
            .Skip((page - 1) * PageSize).Take(PageSize)
            .Select(m => new
            {
                m.Id,
                m.ReceivedAt,
                m.SenderAddress,
                m.Source,
                m.Protection,
                m.ExpiresAt,
                Shredded = m.WrappedKey == null,
                m.SizeBytes,
                Recipients = m.Recipients.OrderBy(r => r.Kind).ThenBy(r => r.Address).Select(r => new { r.Address, Viewed = r.FirstViewedAt != null, Revoked = r.RevokedAt != null }).ToList(),
            })
            .ToListAsync(cancellationToken);
        return new TracePage(
            [.. rows.Select(m => new TraceRow(
                m.Id, m.ReceivedAt, m.SenderAddress, m.Source, m.Protection,
                StateOf(m.Shredded, m.ExpiresAt, m.Recipients.Count > 0 && m.Recipients.All(r => r.Revoked), now),
                m.Recipients.Count, m.Recipients.Count(r => r.Viewed), m.SizeBytes,
                [.. m.Recipients.Select(r => r.Address)]))],
            page, pageCount, total);
    }

    /// <summary>The message with its recipients' statuses and its audit events, or null when the tenant has no such message.</summary>
    public async Task<TracedMessage?> FindAsync(Guid tenantId, Guid messageId, CancellationToken cancellationToken)
    {
        var tenant = db.ForTenant(tenantId);
        var message = await tenant.Messages.AsNoTracking()
            .Where(m => m.Id == messageId)
            .Select(m => new
            {
                m.Id, m.ReceivedAt, m.SenderAddress, m.Source, m.Protection, m.TemplateId, m.ExpiresAt, m.SizeBytes,
                Shredded = m.WrappedKey == null, m.ShreddedAt, m.ConversationId, m.InReplyToMessageId,
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (message is null)
        {
            return null;
        }

        var recipients = await tenant.Recipients.AsNoTracking()
            .Where(r => r.MessageId == messageId)
            .OrderBy(r => r.Kind).ThenBy(r => r.Address)
            .ToListAsync(cancellationToken);
        var template = await tenant.BrandTemplates.AsNoTracking()
            .Where(t => t.Id == message.TemplateId)
            .Select(t => t.Name)
            .SingleOrDefaultAsync(cancellationToken);
        var mails = await tenant.OutboundMails.AsNoTracking()
            .Where(o => o.MessageId == messageId && (o.Kind == OutboundMailKind.Notification || o.Kind == OutboundMailKind.EndToEnd))
            .Select(o => new { o.RecipientId, o.Status, o.Attempts, o.SentAt, o.LastError, o.CreatedAt })
            .ToListAsync(cancellationToken);
        var events = await tenant.AuditEvents.AsNoTracking()
            .Where(e => e.MessageId == messageId)
            .OrderBy(e => e.At).ThenBy(e => e.Id)
            .ToListAsync(cancellationToken);

        // Sign-ins from the inbox (not from this message's link) are recorded for the address alone.
        var addresses = recipients.Select(r => r.Address).Distinct().ToList();
        var received = message.ReceivedAt;
        var addressEvents = await tenant.AuditEvents.AsNoTracking()
            .Where(e => e.MessageId == null && addresses.Contains(e.Actor) && e.At >= received
                && (e.Kind == AuditEventKind.PasscodeSent || e.Kind == AuditEventKind.PasscodeFailed || e.Kind == AuditEventKind.SignedIn))
            .OrderBy(e => e.At).ThenBy(e => e.Id)
            .Take(MaxAddressEvents)
            .ToListAsync(cancellationToken);

        var now = time.GetUtcNow();
        var traced = recipients.Select(r =>
        {
            var mail = mails.Where(o => o.RecipientId == r.Id).OrderByDescending(o => o.CreatedAt).FirstOrDefault();
            var own = events.Where(e => e.RecipientId == r.Id)
                .Concat(addressEvents.Where(e => string.Equals(e.Actor, r.Address, StringComparison.OrdinalIgnoreCase)))
                .OrderBy(e => e.At).ThenBy(e => e.Id)
                .ToList();
            var signIns = own.Where(e => e.Kind == AuditEventKind.SignedIn).ToList();
            return new TraceRecipient(
                r.Id,
                r.Address,
                r.Kind,
                r.RevokedAt,
                mail is null ? TraceNotificationState.None : mail.Status switch
                {
                    OutboundMailStatus.Pending => TraceNotificationState.Queued,
                    OutboundMailStatus.Sent => TraceNotificationState.Sent,
                    OutboundMailStatus.Failed => TraceNotificationState.Failed,
                    OutboundMailStatus.Cancelled => TraceNotificationState.Cancelled,
                    _ => TraceNotificationState.None,
                },
                mail?.SentAt,
                mail?.Attempts ?? 0,
                mail?.Status is OutboundMailStatus.Failed or OutboundMailStatus.Pending ? mail.LastError : null,
                own.LastOrDefault(e => e.Kind == AuditEventKind.PasscodeSent)?.At,
                own.Count(e => e.Kind == AuditEventKind.PasscodeFailed),
                [.. signIns.Select(e => e.Detail ?? "?").Distinct(StringComparer.Ordinal)],
                signIns.LastOrDefault()?.At,
                r.FirstViewedAt,
                own.Count(e => e.Kind == AuditEventKind.AttachmentDownloaded),
                r.RepliedAt ?? own.LastOrDefault(e => e.Kind == AuditEventKind.Replied)?.At,
                own.LastOrDefault(e => e.Kind == AuditEventKind.Forwarded)?.At,
                r.DeliveryMethod);
        }).ToList();

        return new TracedMessage(
            message.Id, message.ReceivedAt, message.SenderAddress, message.Source, message.Protection,
            template ?? string.Empty, message.ExpiresAt, message.SizeBytes,
            StateOf(message.Shredded, message.ExpiresAt, recipients.Count > 0 && recipients.All(r => r.RevokedAt is not null), now),
            message.ShreddedAt, message.ConversationId, message.InReplyToMessageId,
            traced,
            [.. events.Concat(addressEvents).OrderBy(e => e.At).ThenBy(e => e.Id)]);
    }

    private static IQueryable<MessageRecord> Filter(TenantData tenant, TraceSearch search, DateTimeOffset now)
    {
        var query = tenant.Messages.AsNoTracking();
        var outboundMails = tenant.OutboundMails;
        if (!string.IsNullOrWhiteSpace(search.Sender))
        {
            var sender = search.Sender.Trim().ToLowerInvariant();
            query = query.Where(m => m.SenderAddress.ToLower().Contains(sender));
        }

        if (!string.IsNullOrWhiteSpace(search.Recipient))
        {
            var recipient = search.Recipient.Trim().ToLowerInvariant();
            query = query.Where(m => m.Recipients.Any(r => r.Address.ToLower().Contains(recipient)));
        }

        if (search.From is { } from)
        {
            var start = AuditQueries.StartOfDay(from);
            query = query.Where(m => m.ReceivedAt >= start);
        }

        if (search.To is { } to)
        {
            var end = AuditQueries.StartOfDay(to.AddDays(1));
            query = query.Where(m => m.ReceivedAt < end);
        }

        return search.Status switch
        {
            TraceStatus.Any => query,
            TraceStatus.Active => query.Where(m => m.WrappedKey != null && (m.ExpiresAt == null || m.ExpiresAt > now) && m.Recipients.Any(r => r.RevokedAt == null)),
            TraceStatus.DeliveryFailed => query.Where(m => outboundMails.Any(o => o.MessageId == m.Id && o.Kind == OutboundMailKind.Notification && o.Status == OutboundMailStatus.Failed)),
            TraceStatus.NotViewed => query.Where(m => m.Recipients.Any(r => r.FirstViewedAt == null)),
            TraceStatus.Viewed => query.Where(m => m.Recipients.Any(r => r.FirstViewedAt != null)),
            TraceStatus.Replied => query.Where(m => m.Recipients.Any(r => r.RepliedAt != null)),
            TraceStatus.Revoked => query.Where(m => m.Recipients.Any(r => r.RevokedAt != null)),
            TraceStatus.Expired => query.Where(m => m.ExpiresAt != null && m.ExpiresAt <= now),
            TraceStatus.Shredded => query.Where(m => m.WrappedKey == null),
            _ => query,
        };
    }

    private static TraceMessageState StateOf(bool shredded, DateTimeOffset? expiresAt, bool allRevoked, DateTimeOffset now) =>
        shredded ? TraceMessageState.Shredded
        : expiresAt is { } expires && expires <= now ? TraceMessageState.Expired
        : allRevoked ? TraceMessageState.Revoked
        : TraceMessageState.Active;
}
