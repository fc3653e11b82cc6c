using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Branding;
using OmePortal.Core.Mime;
using OmePortal.Data;

namespace OmePortal.Web.Access;

/// <summary>
/// Loads the facts about a message and asks <see cref="AccessPolicy"/>. Every page, frame, image,
/// download and reply endpoint goes through <see cref="DecideAsync"/>; nothing reads a message without it.
/// </summary>
public sealed class RecipientAccess(OmePortalDbContext db, LoadedMessages loaded, TimeProvider time)
{
    public async Task<AccessDecision> DecideAsync(Guid messageId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var address = user.RecipientAddress();
        if (address is null)
        {
            // Only a visitor who still has to sign in is told which methods the message's brand allows.
            var templateJson = await db.Messages.AsNoTracking()
                .Where(m => m.Id == messageId)
                .Select(m => db.BrandTemplates.Where(t => t.Id == m.TemplateId).Select(t => t.Json).FirstOrDefault())
                .FirstOrDefaultAsync(cancellationToken);
            var methods = SignInMethods.Passcode;
            if (templateJson is not null && !BrandSerializer.FromJson(templateJson, null).OtpEnabled)
            {
                methods &= ~SignInMethods.Passcode;
            }

            return new AccessDecision.NeedsSignIn(methods);
        }

        // The message row and, of its recipients, only the reader's own rows (the policy looks at no others),
        // in one plain join: the reader's rows with the message on each. Only when there are none (a
        // stranger, or no such message) is the message looked up alone. EF's single query for a message
        // and a filtered collection (a filtered Include) nests the message in a LIMIT subquery that SQLite
        // compiles about three times slower, on every page and frame (bench/RESULTS.md). Each row also says
        // whether the message has others in its conversation: the message page asks that next, and an
        // indexed EXISTS here costs far less than a query of its own.
        var normalized = AddressNormalizer.Normalize(address);
        var rows = await ReadersRowsWithMessage.For(db)(db, messageId, normalized).ToListAsync(cancellationToken);
        var message = rows.Count > 0 ? rows[0].Message : await MessageById.For(db)(db, messageId, cancellationToken);
        if (message is null)
        {
            return AccessPolicy.Decide(null, address, time.GetUtcNow());
        }

        message.Recipients = [.. rows.Select(r => r.Recipient)];

        loaded.Remember(message, rows.Count > 0 ? rows[0].OthersInConversation : null);
        var facts = new MessageFacts(
            message.Id, message.Protection, message.SenderAddress, message.ExpiresAt, message.WrappedKey is null, SignInMethods.Passcode,
            [.. message.Recipients.Select(r => new RecipientFacts(r.Id, r.Address, r.RevokedAt != null))]);
        return AccessPolicy.Decide(facts, address, time.GetUtcNow());
    }

    private static readonly CompiledPerModel<Func<OmePortalDbContext, Guid, CancellationToken, Task<MessageRecord?>>> MessageById = new(
        static () => EF.CompileAsyncQuery((OmePortalDbContext db, Guid id, CancellationToken _) =>
            db.Messages.AsNoTracking().FirstOrDefault(m => m.Id == id)));

    private static readonly CompiledPerModel<Func<OmePortalDbContext, Guid, string, IAsyncEnumerable<ReaderRow>>> ReadersRowsWithMessage = new(
        static () => EF.CompileAsyncQuery((OmePortalDbContext db, Guid id, string address) =>
            from r in db.Recipients.AsNoTracking()
            where r.MessageId == id && r.Address == address
            join m in db.Messages.AsNoTracking() on r.MessageId equals m.Id
            select new ReaderRow(m, r, db.Messages.Any(o => o.ConversationId == m.ConversationId && o.Id != m.Id))));

    private sealed record ReaderRow(MessageRecord Message, RecipientRecord Recipient, bool OthersInConversation);
}
