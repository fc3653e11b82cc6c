using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Replies;

/// <summary>
/// A message the signed-in reader sent, as the Sent view, the conversation and the sent item page show it.
/// <paramref name="Closed"/>: the message's brand turned off the way the reader signed in, so neither its subject
/// nor its recipients are shown (as a recipient of it would be refused too).
/// </summary>
public sealed record SentItem(
    Guid MessageId,
    IngestSource Source,
    string? Subject,
    DateTimeOffset SentAt,
    IReadOnlyList<string> Recipients,
    int StillReading,
    bool Shredded,
    Guid? InReplyToMessageId,
    bool Closed)
{
    /// <summary>Whether the sender may still withdraw it (someone can still read it).</summary>
    public bool Revocable => StillReading > 0 && !Shredded && !Closed;
}

public sealed record SentPage(IReadOnlyList<SentItem> Items, int Page, int PageCount, int Total);

/// <summary>
/// The sender's side of the portal: what the signed-in reader sent. The sender of a message is usually not
/// one of its recipients, so this is not the recipient access decision; like <see cref="Revocation.SenderRevocation"/>
/// it answers only to the verified address that is the message's sender, and never opens a body: it shows what
/// the sender wrote on the envelope (subject, recipients, date) and whether it can still be read.
/// The Sent view lists only replies and forwards written in the portal: their sender address is the one a
/// portal session proved, whereas the sender of mail from the gateway or the API is whatever the submitter
/// wrote (a shared "noreply" address would otherwise list every customer's statement to whoever reads its mail).
/// </summary>
public sealed class SentItems(OmePortalDbContext db, MessageVault vault, RecipientAccess access)
{
    public const int PageSize = MessageReader.PageSize;

    /// <summary>One page (1-based) of the replies and forwards <paramref name="user"/> wrote in the portal, newest first.</summary>
    public async Task<SentPage> ListAsync(ClaimsPrincipal user, int page, CancellationToken cancellationToken)
    {
        if (SenderOf(user) is not { } sender)
        {
            return new SentPage([], 1, 1, 0);
        }

        var query = db.Messages.AsNoTracking().Where(m => m.SenderAddress == sender && m.Source == IngestSource.Reply);
        var total = await query.CountAsync(cancellationToken);
        var pageCount = Math.Max(1, (total + PageSize - 1) / PageSize);
        page = Math.Clamp(page, 1, pageCount);
        var rows = await Load(query.OrderByDescending(m => m.ReceivedAt).ThenByDescending(m => m.Id).Skip((page - 1) * PageSize).Take(PageSize), cancellationToken);
        return new SentPage(await ToItemsAsync(rows, user, cancellationToken), page, pageCount, total);
    }

    /// <summary>
    /// Of <paramref name="candidates"/> (the messages of a conversation that the reader sent, as
    /// <see cref="MessageReader.ConversationAsync"/> found them), those <paramref name="user"/> did send, oldest first.
    /// No candidates, no query: the usual case.
    /// </summary>
    public async Task<IReadOnlyList<SentItem>> InConversationAsync(IReadOnlyCollection<Guid> candidates, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0 || SenderOf(user) is not { } sender)
        {
            return [];
        }

        var rows = await Load(db.Messages.AsNoTracking().Where(m => candidates.Contains(m.Id) && m.SenderAddress == sender).OrderBy(m => m.ReceivedAt), cancellationToken);
        return await ToItemsAsync(rows, user, cancellationToken);
    }

    /// <summary>The message if <paramref name="user"/> sent it; null for anyone else (who is told "not found").</summary>
    public async Task<SentItem?> FindAsync(Guid messageId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (SenderOf(user) is not { } sender)
        {
            return null;
        }

        var rows = await Load(db.Messages.AsNoTracking().Where(m => m.Id == messageId && m.SenderAddress == sender), cancellationToken);
        return rows.Count == 0 ? null : (await ToItemsAsync(rows, user, cancellationToken))[0];
    }

    private static string? SenderOf(ClaimsPrincipal user) =>
        user.RecipientAddress() is { } address && AddressNormalizer.Normalize(address) is { Length: > 0 } sender ? sender : null;

    private Task<List<Row>> Load(IQueryable<MessageRecord> messages, CancellationToken cancellationToken) =>
        messages.Select(m => new Row(
                m,
                m.Recipients.OrderBy(r => r.Address).Select(r => r.Address).ToList(),
                m.Recipients.Count(r => r.RevokedAt == null),
                db.BrandTemplates.Where(t => t.Id == m.TemplateId).Select(t => t.Json).FirstOrDefault()))
            .ToListAsync(cancellationToken);

    private async Task<List<SentItem>> ToItemsAsync(List<Row> rows, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var items = new List<SentItem>(rows.Count);
        foreach (var row in rows)
        {
            var m = row.Record;
            // The brand binds its sender's session as it binds a reader's (as withdrawing does).
            var closed = AccessPolicy.RefuseSignIn(RecipientAccess.AllowedMethods(row.TemplateJson), access.SessionMethod(user.RecipientSignInMethod(), m.TenantId)) is not null;
            var subject = closed || m.WrappedKey is null ? null : await SubjectAsync(m, cancellationToken);
            items.Add(new SentItem(
                m.Id, m.Source, subject, m.ReceivedAt, closed ? [] : row.Recipients, row.StillReading, m.WrappedKey is null, m.InReplyToMessageId, closed));
        }

        return items;
    }

    /// <summary>The subject from the sealed summary in the row, else the render blob (older rows); null once shredded.</summary>
    private async Task<string?> SubjectAsync(MessageRecord message, CancellationToken cancellationToken)
    {
        try
        {
            if (await vault.OpenSummaryAsync(db, message, cancellationToken) is { } summary)
            {
                try
                {
                    return RenderModelSerializer.DeserializeSummary(summary).Subject;
                }
                finally
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(summary);
                }
            }

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

    private sealed record Row(MessageRecord Record, List<string> Recipients, int StillReading, string? TemplateJson);
}

/// <summary>
/// What the conversation list under a message shows: <paramref name="Thread"/> (the messages the reader may open there,
/// from <see cref="MessageReader.ConversationAsync"/>) and the messages the reader sent in it.
/// </summary>
public sealed record ConversationLinks(Guid CurrentId, IReadOnlyList<ListedMessage> Thread, IReadOnlyList<Guid> SentByReader);

/// <summary>One line of the conversation list: a message the reader may open, one they sent, or both.</summary>
/// <param name="Opens">The reader may open it as a recipient (the access decision granted it in the thread).</param>
public sealed record ConversationEntry(Guid MessageId, DateTimeOffset When, string? Subject, string? SenderName, string SenderAddress, bool Opens, SentItem? Sent)
{
    /// <summary>
    /// The thread and the reader's sent items merged, oldest first. A message in both is listed once, openable.
    /// A sent item the reader cannot open as a recipient leads to its sent item page instead.
    /// </summary>
    public static IReadOnlyList<ConversationEntry> Merge(IReadOnlyList<ListedMessage> thread, IReadOnlyList<SentItem> sent)
    {
        var byId = sent.ToDictionary(s => s.MessageId);
        var entries = thread
            .Select(t => new ConversationEntry(t.MessageId, t.ReceivedAt, t.Subject, t.SenderName, t.SenderAddress, Opens: true, byId.GetValueOrDefault(t.MessageId)))
            .ToList();
        var listed = entries.Select(e => e.MessageId).ToHashSet();
        entries.AddRange(sent.Where(s => !listed.Contains(s.MessageId))
            .Select(s => new ConversationEntry(s.MessageId, s.SentAt, s.Subject, null, string.Empty, Opens: false, s)));
        return [.. entries.OrderBy(e => e.When).ThenBy(e => e.MessageId)];
    }

    public string Url => Opens ? ReadingEndpoints.MessageUrl(MessageId) : SentItemUrl(MessageId);

    public static string SentItemUrl(Guid messageId) => $"/sent/{messageId}";
}

/// <summary>
/// "Your reply was sent to …": shown by the message page the compose form redirects to after sending
/// (POST-redirect-GET, so a refresh shows it again instead of sending again).
/// </summary>
public sealed record SentConfirmation(Guid MessageId, bool Forward)
{
    public const string SentViewUrl = "/inbox?view=sent";

    /// <summary>The query string that asks the message page for the confirmation of <paramref name="messageId"/>.</summary>
    public static string Query(Guid messageId, bool forward) => forward ? $"?forwarded={messageId:D}" : $"?sent={messageId:D}";

    public static SentConfirmation? FromQuery(IQueryCollection query) =>
        Guid.TryParse(query["sent"], out var sent) ? new SentConfirmation(sent, Forward: false)
        : Guid.TryParse(query["forwarded"], out var forwarded) ? new SentConfirmation(forwarded, Forward: true)
        : null;
}

/// <summary>The inbox's two views: received messages, or (<paramref name="Sent"/> not null) what the reader sent.</summary>
public sealed record InboxViews(string Address, SentPage? Sent)
{
    public const string SentView = "sent";
}
