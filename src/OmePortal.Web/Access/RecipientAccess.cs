using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Branding;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Access;

/// <summary>
/// What <see cref="RecipientAccess.DecideAsync"/> answered, with what it loaded to answer it, so that
/// opening a granted message does not load the same row again (docs/ARCHITECTURE.md §12).
/// Only <see cref="RecipientAccess"/> makes one; <see cref="Reading.MessageReader"/> opens a message only
/// from a result whose <see cref="Decision"/> is <see cref="AccessDecision.Granted"/>.
/// </summary>
public sealed record AccessResult
{
    internal AccessResult(
        AccessDecision decision,
        MessageRecord? message = null,
        IReadOnlyList<RecipientRecord>? readersRecipientRows = null,
        bool? othersInConversation = null,
        SignInMethods allowedMethods = SignInMethods.None)
    {
        Decision = decision;
        Message = message;
        ReadersRecipientRows = readersRecipientRows ?? [];
        OthersInConversation = othersInConversation;
        AllowedMethods = allowedMethods;
    }

    public AccessDecision Decision { get; }

    /// <summary>
    /// The message row, when the reader has recipient rows in it; else null. Its <see cref="MessageRecord.Recipients"/>
    /// is not loaded (left empty): the rows the decision saw are <see cref="ReadersRecipientRows"/>.
    /// </summary>
    public MessageRecord? Message { get; }

    /// <summary>
    /// Of the message's recipients, only the signed-in reader's own rows (the policy looks at no others).
    /// Never "all recipients": whoever needs those queries them.
    /// </summary>
    public IReadOnlyList<RecipientRecord> ReadersRecipientRows { get; }

    /// <summary>Whether other messages share this message's conversation; null when the decision did not load it.</summary>
    public bool? OthersInConversation { get; }

    /// <summary>The sign-in methods the message's brand allows, as the decision read them (none when it loaded no message).</summary>
    public SignInMethods AllowedMethods { get; }

    /// <summary>The stored JSON of the message's brand template, loaded with <see cref="Message"/> (null when that is); the page draws the brand from it (Portal/PageBrand.cs).</summary>
    public string? TemplateJson { get; internal init; }

    /// <summary>The granted decision; throws for any other (callers switch on <see cref="Decision"/> first).</summary>
    public AccessDecision.Granted Granted =>
        Decision as AccessDecision.Granted ?? throw new InvalidOperationException($"The access decision was {Decision.GetType().Name}, not Granted.");

    /// <summary>The message row of a granted decision.</summary>
    public MessageRecord GrantedMessage =>
        Decision is AccessDecision.Granted && Message is { } message ? message
            : throw new InvalidOperationException($"The access decision was {Decision.GetType().Name}, not Granted.");
}

/// <summary>
/// Loads the facts about a message and asks <see cref="AccessPolicy"/>. Every page, frame, image,
/// download and reply endpoint goes through <see cref="DecideAsync"/>; nothing reads a message without it.
/// </summary>
public sealed class RecipientAccess(OmePortalDbContext db, ExternalProviders providers, TimeProvider time)
{
    public async Task<AccessResult> DecideAsync(Guid messageId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var address = user.RecipientAddress();
        if (address is null)
        {
            // Only a visitor who still has to sign in is told which methods the message's brand allows.
            var templateJson = await db.Messages.AsNoTracking()
                .Where(m => m.Id == messageId)
                .Select(m => db.BrandTemplates.Where(t => t.Id == m.TemplateId).Select(t => t.Json).FirstOrDefault())
                .FirstOrDefaultAsync(cancellationToken);
            var brandOnly = templateJson is null ? null
                : new MessageFacts(messageId, default, string.Empty, null, false, AllowedMethods(templateJson), []);
            return new AccessResult(AccessPolicy.Decide(brandOnly, null, time.GetUtcNow()));
        }

        // The message row and, of its recipients, only the reader's own rows (the policy looks at no others),
        // in one plain join: the reader's rows with the message on each. None means a stranger or no such
        // message, which the policy answers alike, so nothing else is loaded then. EF's single query for a
        // message and a filtered collection (a filtered Include) nests the message in a LIMIT subquery that
        // SQLite compiles about three times slower, on every page and frame (bench/RESULTS.md). Each row also
        // says whether the message has others in its conversation (the message page asks that next, and an
        // indexed EXISTS here costs far less than a query of its own) and carries the brand's JSON, whose
        // sign-in switches are part of the decision (parsed once per distinct JSON, see AllowedMethods).
        var normalized = AddressNormalizer.Normalize(address);
        var rows = await ReadersRowsWithMessage.For(db)(db, messageId, normalized).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return new AccessResult(AccessPolicy.Decide(null, new SignedInReader(address, SignInMethods.None), time.GetUtcNow()));
        }

        var message = rows[0].Message;
        List<RecipientRecord> readersRecipientRows = [.. rows.Select(r => r.Recipient)];
        var facts = new MessageFacts(
            message.Id, message.Protection, message.SenderAddress, message.ExpiresAt, message.WrappedKey is null, AllowedMethods(rows[0].TemplateJson),
            [.. readersRecipientRows.Select(r => new RecipientFacts(r.Id, r.Address, r.RevokedAt != null))]);
        var reader = new SignedInReader(address, SessionMethod(user.RecipientSignInMethod(), message.TenantId));
        return new AccessResult(AccessPolicy.Decide(facts, reader, time.GetUtcNow()), message, readersRecipientRows, rows[0].OthersInConversation, facts.AllowedMethods)
        {
            TemplateJson = rows[0].TemplateJson,
        };
    }

    /// <summary>
    /// For the sender's own page of a message they sent (Revocation/SenderRevoke), which is not a recipient's
    /// path: the brand's sign-in choices bind the sender's session as they bind a reader's. Null when the
    /// session's method is allowed (or there is no such message: the sender check answers that).
    /// </summary>
    public async Task<AccessDecision.NeedsOtherSignIn?> SenderSignInRefusalAsync(Guid messageId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var brand = await db.Messages.AsNoTracking()
            .Where(m => m.Id == messageId)
            .Select(m => new { m.TenantId, Json = db.BrandTemplates.Where(t => t.Id == m.TemplateId).Select(t => t.Json).FirstOrDefault() })
            .FirstOrDefaultAsync(cancellationToken);
        return brand is null ? null
            : AccessPolicy.RefuseSignIn(AllowedMethods(brand.Json), SessionMethod(user.RecipientSignInMethod(), brand.TenantId));
    }

    /// <summary>
    /// The method a session of <paramref name="sessionMethod"/> counts as for a message of <paramref name="tenantId"/>:
    /// none for an external provider that the operator restricted to other tenants.
    /// </summary>
    public SignInMethods SessionMethod(string? sessionMethod, Guid tenantId)
    {
        var method = SignInChoices.MethodOf(sessionMethod);
        // A passkey registered from an external session is bound by that provider's restriction too.
        if (method == SignInMethods.External && sessionMethod is not null
            && providers.ByMethod(SignInChoices.AddressProofOf(sessionMethod)) is { Tenants.Count: > 0 } provider && !provider.Tenants.Contains(tenantId))
        {
            return SignInMethods.None;
        }

        return method;
    }

    // Parsed brands by their exact JSON: an edited brand is new JSON, so no entry is ever stale. Bounded
    // by clearing, as the number of distinct brands in use is small.
    private const int ParsedBrandLimit = 512;
    private static readonly ConcurrentDictionary<string, SignInMethods> ParsedBrands = new(StringComparer.Ordinal);

    /// <summary>
    /// The sign-in methods a message's brand (as stored JSON) allows. A message whose template row is gone
    /// gets the template defaults, which is what a message of an untouched default brand gets.
    /// </summary>
    public static SignInMethods AllowedMethods(string? templateJson)
    {
        if (templateJson is null)
        {
            return SignInChoices.AllowedBy(new BrandTemplate { Name = "Default" });
        }

        if (ParsedBrands.TryGetValue(templateJson, out var known))
        {
            return known;
        }

        var allowed = SignInChoices.AllowedBy(BrandSerializer.FromJson(templateJson, null));
        if (ParsedBrands.Count >= ParsedBrandLimit)
        {
            ParsedBrands.Clear();
        }

        ParsedBrands[templateJson] = allowed;
        return allowed;
    }

    private static readonly CompiledPerModel<Func<OmePortalDbContext, Guid, string, IAsyncEnumerable<ReaderRow>>> ReadersRowsWithMessage = new(
        static () => EF.CompileAsyncQuery((OmePortalDbContext db, Guid id, string address) =>
            from r in db.Recipients.AsNoTracking()
            where r.MessageId == id && r.Address == address
            join m in db.Messages.AsNoTracking() on r.MessageId equals m.Id
            select new ReaderRow(
                m,
                r,
                db.Messages.Any(o => o.ConversationId == m.ConversationId && o.Id != m.Id),
                db.BrandTemplates.Where(t => t.Id == m.TemplateId).Select(t => t.Json).FirstOrDefault())));

    private sealed record ReaderRow(MessageRecord Message, RecipientRecord Recipient, bool OthersInConversation, string? TemplateJson);
}
