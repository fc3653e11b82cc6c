using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Core.Intake;
using OmePortal.Core.Replies;
using OmePortal.Data;

namespace OmePortal.Web.Replies;

/// <summary>Which reply quota a post went over.</summary>
public enum ReplyQuota
{
    /// <summary>Replies and forwards from one session in the last hour.</summary>
    SessionPerHour,

    /// <summary>Replies and forwards from one address in the last hour.</summary>
    AddressPerHour,

    /// <summary>Distinct addresses outside their conversations written to by one address (or session) in the last day.</summary>
    NewRecipientsPerDay,

    /// <summary>Addresses outside the conversation added by one forward.</summary>
    ForwardNewRecipients,

    /// <summary>Bytes of portal replies and forwards the tenant keeps.</summary>
    TenantStorage,
}

/// <summary>The outcome of a quota check: within every limit (with the addresses that are new to the conversation), or over one.</summary>
public abstract record ReplyQuotaCheck
{
    private ReplyQuotaCheck() { }

    public sealed record Within(IReadOnlyList<string> NewRecipients) : ReplyQuotaCheck;

    public sealed record Exceeded(ReplyQuota Quota, long Limit) : ReplyQuotaCheck;
}

/// <summary>
/// The limits on what a recipient (an outsider nobody vouched for) can make the portal send and store in a
/// tenant's name: replies and forwards per hour, new addresses per day, new addresses per forward, and the
/// tenant's storage for them. Counted from the database (<see cref="ReplySendRecord"/>, the message rows), so
/// every node of the portal sees the same counts. Two posts of one person arriving at the same instant can
/// both pass the last free place; the limits are about volume, so one over is acceptable.
/// </summary>
public sealed class ReplyQuotas(OmePortalDbContext db, IOptions<RepliesOptions> options, TimeProvider time)
{
    public static readonly TimeSpan HourWindow = TimeSpan.FromHours(1);
    public static readonly TimeSpan DayWindow = TimeSpan.FromDays(1);

    /// <summary>
    /// The quotas that can be decided before the message is built. A recipient is new when it neither sent nor
    /// received a message of the conversation in this tenant (a reply to the people already in it costs nothing).
    /// </summary>
    public async Task<ReplyQuotaCheck> CheckBeforeSendAsync(MessageRecord original, ReplyPlan plan, string address, Guid sessionId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var newRecipients = await NewToConversationAsync(original, plan.Recipients, cancellationToken);
        if (plan.Mode == ReplyMode.Forward && newRecipients.Count > settings.MaxForwardNewRecipients)
        {
            return new ReplyQuotaCheck.Exceeded(ReplyQuota.ForwardNewRecipients, settings.MaxForwardNewRecipients);
        }

        var now = time.GetUtcNow();
        var hourAgo = now - HourWindow;
        if (await db.ReplySends.CountAsync(r => r.SessionId == sessionId && r.SentAt > hourAgo, cancellationToken) >= settings.MaxPerSessionPerHour)
        {
            return new ReplyQuotaCheck.Exceeded(ReplyQuota.SessionPerHour, settings.MaxPerSessionPerHour);
        }

        if (await db.ReplySends.CountAsync(r => r.Address == address && r.SentAt > hourAgo, cancellationToken) >= settings.MaxPerAddressPerHour)
        {
            return new ReplyQuotaCheck.Exceeded(ReplyQuota.AddressPerHour, settings.MaxPerAddressPerHour);
        }

        if (newRecipients.Count > 0)
        {
            var dayAgo = now - DayWindow;
            var byAddress = await db.ReplySendRecipients
                .Where(n => db.ReplySends.Any(r => r.Id == n.ReplySendId && r.Address == address && r.SentAt > dayAgo))
                .Select(n => n.Address)
                .Distinct()
                .ToListAsync(cancellationToken);
            var bySession = await db.ReplySendRecipients
                .Where(n => db.ReplySends.Any(r => r.Id == n.ReplySendId && r.SessionId == sessionId && r.SentAt > dayAgo))
                .Select(n => n.Address)
                .Distinct()
                .ToListAsync(cancellationToken);
            if (byAddress.Union(newRecipients, StringComparer.Ordinal).Count() > settings.MaxNewRecipientsPerDay
                || bySession.Union(newRecipients, StringComparer.Ordinal).Count() > settings.MaxNewRecipientsPerDay)
            {
                return new ReplyQuotaCheck.Exceeded(ReplyQuota.NewRecipientsPerDay, settings.MaxNewRecipientsPerDay);
            }
        }

        return new ReplyQuotaCheck.Within(newRecipients);
    }

    /// <summary>Whether a built message of <paramref name="size"/> bytes still fits the tenant's storage for replies (0: unlimited).</summary>
    public async Task<bool> FitsStorageAsync(Guid tenantId, long size, CancellationToken cancellationToken)
    {
        var quota = options.Value.TenantStorageQuotaBytes;
        if (quota == 0)
        {
            return true;
        }

        // Shredded replies (no key left) hold no ciphertext any more.
        var used = await db.Messages
            .Where(m => m.TenantId == tenantId && m.Source == IngestSource.Reply && m.WrappedKey != null)
            .SumAsync(m => (long?)m.SizeBytes, cancellationToken) ?? 0;
        return used + size <= quota;
    }

    /// <summary>Counts a sent reply (saved with the caller's next SaveChanges).</summary>
    public void Count(Guid tenantId, string address, Guid sessionId, IReadOnlyList<string> newRecipients)
    {
        var now = time.GetUtcNow();
        var send = new ReplySendRecord { Id = Guid.CreateVersion7(now), TenantId = tenantId, Address = address, SessionId = sessionId, SentAt = now };
        send.NewRecipients.AddRange(newRecipients.Select(a => new ReplySendRecipient { ReplySendId = send.Id, Address = a }));
        db.ReplySends.Add(send);
    }

    private async Task<List<string>> NewToConversationAsync(MessageRecord original, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        var tenantId = original.TenantId;
        var conversationId = original.ConversationId;
        var candidates = recipients.ToList();
        var known = await db.Recipients
            .Where(r => r.TenantId == tenantId && candidates.Contains(r.Address)
                && db.Messages.Any(m => m.Id == r.MessageId && m.TenantId == tenantId && m.ConversationId == conversationId))
            .Select(r => r.Address)
            .ToListAsync(cancellationToken);
        known.AddRange(await db.Messages
            .Where(m => m.TenantId == tenantId && m.ConversationId == conversationId && candidates.Contains(m.SenderAddress))
            .Select(m => m.SenderAddress)
            .ToListAsync(cancellationToken));
        return [.. candidates.Except(known, StringComparer.Ordinal)];
    }
}
