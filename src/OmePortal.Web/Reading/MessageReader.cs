using System.Buffers;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Audit;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Reading;

/// <summary>A message opened for a reader whom <see cref="Access.RecipientAccess"/> granted access.</summary>
/// <param name="Result">The granted access result it was opened from, with the rows the decision loaded.</param>
public sealed record OpenedMessage(AccessResult Result, RenderModel Model)
{
    public AccessDecision.Granted Access { get; } = Result.Granted;

    public MessageRecord Record { get; } = Result.GrantedMessage;
}

/// <summary>
/// What the body frame shows: the message (a summary when <see cref="Html"/> is set, else the full model)
/// and its HTML body as UTF-8 in a pooled buffer. Dispose it when the response is written.
/// </summary>
public sealed record OpenedBody(OpenedMessage Message, PooledUtf8? Html) : IDisposable
{
    public void Dispose() => Html?.Dispose();
}

/// <summary>How a listed message may be reached by the reader (the access decision, reduced to what a list shows).</summary>
public enum ListedState
{
    Readable,
    Expired,
    Revoked,

    /// <summary>The reader's sign-in method is one the message's brand turned off.</summary>
    NeedsOtherSignIn,
}

/// <summary>One line of the inbox or of a thread. <see cref="Subject"/> and <see cref="SenderName"/> come from the decrypted render model (null when not readable).</summary>
public sealed record ListedMessage(
    Guid MessageId,
    ListedState State,
    bool Read,
    DateTimeOffset ReceivedAt,
    string SenderAddress,
    string? SenderName,
    string? Subject,
    ProtectionLevel Protection,
    DateTimeOffset? ExpiresAt = null);

/// <summary>What <see cref="MessageReader.ConversationAsync"/> found.</summary>
public sealed record Conversation(IReadOnlyList<ListedMessage> Thread, IReadOnlyList<Guid> SentByReader);

public sealed record InboxPage(IReadOnlyList<ListedMessage> Messages, int Page, int PageCount, int Total);

/// <summary>
/// Reads protected messages for signed-in recipients: the render model, the original MIME (for
/// attachments), the inbox and the thread. Opening a message takes an <see cref="AccessResult"/> whose
/// decision is <see cref="AccessDecision.Granted"/> (anything else throws), so nothing here can be reached
/// without asking the access decision first, and the row it loaded is the row opened; the lists apply
/// <see cref="AccessPolicy"/> to every row themselves.
/// </summary>
public sealed class MessageReader(OmePortalDbContext db, MessageVault vault, RecipientAccess access, AuditLog audit, TimeProvider time)
{
    public const int PageSize = 25;

    /// <summary>Loads the message and decrypts its render model; null when it was shredded meanwhile.</summary>
    public Task<OpenedMessage?> OpenAsync(AccessResult granted, CancellationToken cancellationToken) =>
        OpenAsync(granted, summary: false, cancellationToken);

    /// <summary>
    /// As <see cref="OpenAsync(AccessResult, CancellationToken)"/>, but the render model without its
    /// bodies (<see cref="RenderModelSerializer.DeserializeSummary"/>): for everything but the body frame and replies.
    /// </summary>
    public Task<OpenedMessage?> OpenSummaryAsync(AccessResult granted, CancellationToken cancellationToken) =>
        OpenAsync(granted, summary: true, cancellationToken);

    private async Task<OpenedMessage?> OpenAsync(AccessResult granted, bool summary, CancellationToken cancellationToken)
    {
        var model = await ReadRenderModelAsync(granted.GrantedMessage, summary, cancellationToken);
        return model is null ? null : new OpenedMessage(granted, model);
    }

    /// <summary>
    /// For the body frame: the HTML body is copied out of the decrypted model as UTF-8 and never
    /// becomes a string (for a large body, one on the large object heap per request); the rest of the
    /// model is a summary. A text-only message, or one to be sanitised again, comes as a full model.
    /// Null when the message was shredded meanwhile.
    /// </summary>
    public async Task<OpenedBody?> OpenBodyAsync(AccessResult granted, CancellationToken cancellationToken)
    {
        var record = granted.GrantedMessage;
        var read = await ReadJsonAsync<(RenderModel? Model, PooledUtf8? Html)>(record, static json =>
        {
            var summary = RenderModelSerializer.DeserializeSummary(json);
            return summary.PolicyVersion < EmailHtmlSanitizer.PolicyVersion ? (null, null)
                : summary.HtmlBody is null ? (RenderModelSerializer.Deserialize(json), null)
                : (summary, RenderModelSerializer.CopyHtmlBody(json));
        }, cancellationToken);
        if (!read.Found)
        {
            return null;
        }

        if (read.Value.Model is { } model)
        {
            return new OpenedBody(new OpenedMessage(granted, model), read.Value.Html);
        }

        // Sanitised under an older policy: the full path builds it again.
        var full = await ReadRenderModelAsync(record, summary: false, cancellationToken);
        return full is null ? null : new OpenedBody(new OpenedMessage(granted, full), null);
    }

    /// <summary>
    /// The decrypted original MIME of an opened message: a seekable stream (dispose it), or null when
    /// the message was shredded after it was opened.
    /// </summary>
    public Task<Stream?> OpenContentAsync(OpenedMessage message, CancellationToken cancellationToken) =>
        OpenContentAsync(message.Record, cancellationToken);

    private async Task<Stream?> OpenContentAsync(MessageRecord record, CancellationToken cancellationToken)
    {
        try
        {
            return await vault.OpenBlobAsync(db, record, BlobPurpose.Content, cancellationToken) switch
            {
                VaultReadResult.Opened opened => opened.Plaintext,
                VaultReadResult.Shredded => null,
                _ => throw new System.Diagnostics.UnreachableException(),
            };
        }
        catch (FileNotFoundException)
        {
            // Shredding deletes the blobs right after the key: the race ends the same way.
            return null;
        }
    }

    /// <summary>Records the first time this recipient opened the message (later views change nothing).</summary>
    public Task MarkViewedAsync(OpenedMessage message, CancellationToken cancellationToken)
    {
        var access = message.Access;
        if (message.Result.ReadersRecipientRows.Any(r => r.Id == access.RecipientId && r.FirstViewedAt is not null))
        {
            // A page view of a message already read must not take the database's write lock.
            return Task.CompletedTask;
        }

        return MarkFirstViewAsync(message, cancellationToken);
    }

    /// <summary>
    /// Only the request whose UPDATE set FirstViewedAt writes the view event, in the same transaction:
    /// one event per recipient however many first views race, and no write on any later view.
    /// </summary>
    private async Task MarkFirstViewAsync(OpenedMessage message, CancellationToken cancellationToken)
    {
        var access = message.Access;
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.Recipients
            .Where(r => r.Id == access.RecipientId && r.FirstViewedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.FirstViewedAt, now), cancellationToken);
        if (changed == 1)
        {
            audit.Add(message.Record.TenantId, AuditEventKind.MessageViewed, access.Address, access.MessageId, access.RecipientId);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// One page (1-based) of every message addressed to <paramref name="address"/>, newest first. Each
    /// row is decided by <see cref="AccessPolicy"/> with the same facts as <see cref="Access.RecipientAccess"/>;
    /// only readable rows are decrypted (at most <see cref="PageSize"/>).
    /// </summary>
    /// <param name="sessionMethod">How the reader signed in (<see cref="RecipientPrincipal.RecipientSignInMethod"/>): rows whose brand turned it off are listed closed.</param>
    public async Task<InboxPage> InboxAsync(string address, string? sessionMethod, int page, CancellationToken cancellationToken)
    {
        address = AddressNormalizer.Normalize(address);
        var query = db.Messages.AsNoTracking().Where(m => m.Recipients.Any(r => r.Address == address));
        var total = await query.CountAsync(cancellationToken);
        var pageCount = Math.Max(1, (total + PageSize - 1) / PageSize);
        page = Math.Clamp(page, 1, pageCount);
        var rows = await Rows(query.OrderByDescending(m => m.ReceivedAt).ThenByDescending(m => m.Id)
            .Skip((page - 1) * PageSize).Take(PageSize), address, cancellationToken);
        return new InboxPage(await ListAsync(rows, address, sessionMethod, cancellationToken), page, pageCount, total);
    }

    /// <summary>
    /// The conversation of <paramref name="message"/> as its reader sees it: the messages addressed to
    /// them that they may open, oldest first (itself included), and the ids of the messages they sent
    /// in it (newest first; for <see cref="Revocation.SenderRevocation"/>). One query serves both.
    /// </summary>
    /// <param name="sessionMethod">How the reader signed in: messages whose brand turned it off are left out of the thread.</param>
    public async Task<Conversation> ConversationAsync(OpenedMessage message, string? sessionMethod, CancellationToken cancellationToken)
    {
        var address = AddressNormalizer.Normalize(message.Access.Address);
        var conversation = message.Record.ConversationId;
        var id = message.Record.Id;
        if (!(message.Result.OthersInConversation ?? await OthersInConversation.For(db)(db, conversation, id, cancellationToken)))
        {
            // Most messages are a conversation of one: the access decision said so, and the reader was just let in.
            var only = await ListAsync([new Row(message.Record, [.. message.Result.ReadersRecipientRows.Where(r => r.Address == address)
                .Select(r => new Mine(r.Id, r.RevokedAt != null, r.FirstViewedAt != null))], message.Result.AllowedMethods)],
                address, sessionMethod, cancellationToken, known: message);
            return new Conversation(only, message.Record.SenderAddress == address ? [id] : []);
        }

        var query = db.Messages.AsNoTracking()
            .Where(m => m.ConversationId == conversation && (m.SenderAddress == address || m.Recipients.Any(r => r.Address == address)));
        // The newest messages of a long conversation matter most; shown oldest first.
        var rows = await Rows(query.OrderByDescending(m => m.ReceivedAt).ThenByDescending(m => m.Id).Take(PageSize), address, cancellationToken);
        List<Guid> sent = [.. rows.Where(r => r.Message.SenderAddress == address).Select(r => r.Message.Id)];
        rows.RemoveAll(r => r.Mine.Count == 0);
        rows.Reverse();
        var listed = await ListAsync(rows, address, sessionMethod, cancellationToken, known: message);
        return new Conversation([.. listed.Where(m => m.State == ListedState.Readable)], sent);
    }

    private static readonly CompiledPerModel<Func<OmePortalDbContext, Guid, Guid, CancellationToken, Task<bool>>> OthersInConversation = new(
        static () => EF.CompileAsyncQuery((OmePortalDbContext db, Guid conversation, Guid id, CancellationToken _) =>
            db.Messages.Any(m => m.ConversationId == conversation && m.Id != id)));

    /// <summary>The rows of <paramref name="query"/> with the reader's recipient rows and the sign-in methods of each one's brand.</summary>
    private async Task<List<Row>> Rows(IQueryable<MessageRecord> query, string address, CancellationToken cancellationToken)
    {
        var found = await query.Select(m => new LoadedRow(
                m,
                m.Recipients.Where(r => r.Address == address)
                    .Select(r => new Mine(r.Id, r.RevokedAt != null, r.FirstViewedAt != null))
                    .ToList(),
                db.BrandTemplates.Where(t => t.Id == m.TemplateId).Select(t => t.Json).FirstOrDefault()))
            .ToListAsync(cancellationToken);
        return [.. found.Select(f => new Row(f.Message, f.Mine, RecipientAccess.AllowedMethods(f.TemplateJson)))];
    }

    /// <param name="known">A message already decrypted for this request: its row reuses that render model.</param>
    private async Task<List<ListedMessage>> ListAsync(List<Row> rows, string address, string? sessionMethod, CancellationToken cancellationToken, OpenedMessage? known = null)
    {
        var now = time.GetUtcNow();
        var listed = new List<ListedMessage>(rows.Count);
        foreach (var row in rows)
        {
            var m = row.Message;
            var facts = new MessageFacts(
                m.Id, m.Protection, m.SenderAddress, m.ExpiresAt, m.WrappedKey is null, row.AllowedMethods,
                [.. row.Mine.Select(r => new RecipientFacts(r.Id, address, r.Revoked))]);
            var read = row.Mine.Any(r => r.Viewed);
            var reader = new SignedInReader(address, access.SessionMethod(sessionMethod, m.TenantId));
            var state = AccessPolicy.Decide(facts, reader, now) switch
            {
                AccessDecision.Granted => ListedState.Readable,
                AccessDecision.Expired => ListedState.Expired,
                AccessDecision.Revoked => ListedState.Revoked,
                AccessDecision.NeedsOtherSignIn => ListedState.NeedsOtherSignIn,
                AccessDecision.NeedsSignIn or AccessDecision.NotARecipient => (ListedState?)null,
                _ => throw new System.Diagnostics.UnreachableException(),
            };
            if (state is null)
            {
                continue;
            }

            var model = state != ListedState.Readable ? null
                : known is not null && known.Record.Id == m.Id ? known.Model
                : await ReadRenderModelAsync(m, summary: true, cancellationToken);
            if (state == ListedState.Readable && model is null)
            {
                state = ListedState.Revoked; // shredded between the query and the decryption
            }

            var from = model?.From.FirstOrDefault();
            listed.Add(new ListedMessage(m.Id, state.Value, read, m.ReceivedAt, from?.Address ?? m.SenderAddress, from?.Name, model?.Subject, m.Protection, m.ExpiresAt));
        }

        return listed;
    }

    private async Task<RenderModel?> ReadRenderModelAsync(MessageRecord record, bool summary, CancellationToken cancellationToken)
    {
        var read = summary && await ReadRowSummaryAsync(record, cancellationToken) is { } fromRow ? (Found: true, Value: fromRow)
            : await ReadJsonAsync<RenderModel>(record, summary ? RenderModelSerializer.DeserializeSummary : RenderModelSerializer.Deserialize, cancellationToken);
        return !read.Found ? null
            : read.Value.PolicyVersion < EmailHtmlSanitizer.PolicyVersion ? await RerenderAsync(record, read.Value, cancellationToken)
            : read.Value;
    }

    /// <summary>
    /// The summary sealed in the message's row, so that a page showing a message but not its body
    /// opens no blob and decrypts no body; null when the row holds none (a message stored before
    /// summaries were kept there reads its render blob instead) or the message was just shredded.
    /// </summary>
    private async Task<RenderModel?> ReadRowSummaryAsync(MessageRecord record, CancellationToken cancellationToken)
    {
        var plaintext = await vault.OpenSummaryAsync(db, record, cancellationToken);
        if (plaintext is null)
        {
            return null;
        }

        try
        {
            return RenderModelSerializer.DeserializeSummary(plaintext);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private delegate T JsonUse<T>(ReadOnlySpan<byte> utf8Json);

    /// <summary>Decrypts the render model's JSON and hands it to <paramref name="use"/>; not found when the message is shredded.</summary>
    private async Task<(bool Found, T Value)> ReadJsonAsync<T>(MessageRecord record, JsonUse<T> use, CancellationToken cancellationToken)
    {
        VaultReadResult result;
        try
        {
            result = await vault.OpenBlobAsync(db, record, BlobPurpose.RenderModel, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return (false, default!);
        }

        switch (result)
        {
            case VaultReadResult.Opened opened:
                await using (opened.Plaintext)
                {
                    return (true, await ReadBufferedAsync(opened.Plaintext, use, cancellationToken));
                }

            case VaultReadResult.Shredded:
                return (false, default!);
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>
    /// docs/ARCHITECTURE.md §5: a render model sanitised under an older policy is built again from the original
    /// MIME on its first read and stored, so the sanitiser's fixes reach mail that arrived before them.
    /// If the original cannot be parsed any more the stored model is shown as it is.
    /// </summary>
    private async Task<RenderModel> RerenderAsync(MessageRecord record, RenderModel stale, CancellationToken cancellationToken)
    {
        var content = await OpenContentAsync(record, cancellationToken);
        if (content is null)
        {
            return stale;
        }

        RenderModel fresh;
        await using (content)
        {
            // Recipients only matter to intake; the message's own rows stand in for the envelope so a Bcc-only message parses too.
            var recipients = await db.Recipients.Where(r => r.MessageId == record.Id).Select(r => r.Address).ToListAsync(cancellationToken);
            if (MessageParser.Parse(content, recipients, cancellationToken) is not ParseOutcome.Parsed parsed)
            {
                return stale;
            }

            parsed.Message.Dispose();
            fresh = parsed.RenderModel;
        }

        await vault.ReplaceRenderModelAsync(db, record, fresh, cancellationToken);
        return fresh;
    }

    /// <summary>
    /// Render models up to this size are read from their file synchronously. .NET on Linux has no
    /// asynchronous file I/O: each asynchronous read is a blocking read handed to the thread pool and
    /// back, which for a model of a few segments costs more CPU than the read itself (a sixth of a
    /// reading request's, profiled under load; bench/RESULTS.md). A read this small from a local file
    /// blocks for microseconds; larger ones keep the asynchronous path.
    /// </summary>
    private const int SynchronousReadLimit = 1024 * 1024;

    /// <remarks>
    /// The buffer is pooled and exactly as long as the model (a copy loop's 80 KB buffer and a growing
    /// MemoryStream would both land on the large object heap for a large body), and cleared before it
    /// goes back: it holds decrypted content. Parsing one buffer synchronously also costs far less than
    /// System.Text.Json's async path over the decrypting stream.
    /// </remarks>
    private static async Task<T> ReadBufferedAsync<T>(Stream plaintext, JsonUse<T> use, CancellationToken cancellationToken)
    {
        var length = plaintext.CanSeek ? checked((int)plaintext.Length) : -1;
        if (length < 0)
        {
            using var copy = new MemoryStream();
            await plaintext.CopyToAsync(copy, cancellationToken);
            return use(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (length <= SynchronousReadLimit)
            {
                plaintext.ReadExactly(buffer.AsSpan(0, length));
            }
            else
            {
                await plaintext.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
            }

            return use(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    private sealed record LoadedRow(MessageRecord Message, List<Mine> Mine, string? TemplateJson);

    private sealed record Row(MessageRecord Message, List<Mine> Mine, SignInMethods AllowedMethods);

    private sealed record Mine(Guid Id, bool Revoked, bool Viewed);
}
