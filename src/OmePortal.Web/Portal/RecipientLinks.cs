using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Intake;

namespace OmePortal.Web.Portal;

/// <summary>What a link token leads to. Looking it up changes nothing (link scanners open links first).</summary>
public abstract record LinkLookup
{
    private LinkLookup() { }

    /// <summary>Unknown or malformed token. Says nothing more, on purpose.</summary>
    public sealed record Unknown : LinkLookup;

    /// <summary>Reached by a real token: naming the sender and the expiry tells the holder of the link nothing new (docs/ARCHITECTURE.md §7).</summary>
    public sealed record Expired(string SenderAddress, DateTimeOffset ExpiresAt) : LinkLookup
    {
        /// <summary>The message's brand, which its page keeps (<see cref="PageBrands"/>).</summary>
        public BrandRef? Brand { get; init; }
    }

    public sealed record Revoked(string SenderAddress) : LinkLookup
    {
        /// <summary>The message's brand, which its page keeps (<see cref="PageBrands"/>).</summary>
        public BrandRef? Brand { get; init; }
    }

    public sealed record Found(MessageRecord Message, RecipientRecord Recipient, BrandTemplateRecord Template) : LinkLookup;
}

public sealed class RecipientLinks(OmePortalDbContext db, TimeProvider time)
{
    public async Task<LinkLookup> LookupAsync(string? token, CancellationToken cancellationToken)
    {
        if (!IsWellFormed(token))
        {
            return new LinkLookup.Unknown();
        }

        var hash = MessageIngestor.HashToken(token!);
        var recipient = await db.Recipients.AsNoTracking().SingleOrDefaultAsync(r => r.TokenHash == hash, cancellationToken);
        if (recipient is null)
        {
            return new LinkLookup.Unknown();
        }

        var message = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == recipient.MessageId && m.TenantId == recipient.TenantId, cancellationToken);
        if (message.ExpiresAt <= time.GetUtcNow())
        {
            return new LinkLookup.Expired(message.SenderAddress, message.ExpiresAt.Value) { Brand = await BrandOfAsync(message, cancellationToken) };
        }

        if (message.WrappedKey is null || recipient.RevokedAt is not null)
        {
            return new LinkLookup.Revoked(message.SenderAddress) { Brand = await BrandOfAsync(message, cancellationToken) };
        }

        var template = await db.BrandTemplates.AsNoTracking().SingleAsync(t => t.Id == message.TemplateId && t.TenantId == message.TenantId, cancellationToken);
        return new LinkLookup.Found(message, recipient, template);
    }

    private async Task<BrandRef?> BrandOfAsync(MessageRecord message, CancellationToken cancellationToken) =>
        await db.BrandTemplates.AsNoTracking()
            .Where(t => t.Id == message.TemplateId && t.TenantId == message.TenantId)
            .Select(t => new BrandRef(t.Id, t.Json))
            .FirstOrDefaultAsync(cancellationToken);

    // 32 bytes in base64url: 43 characters of [A-Za-z0-9_-].
    private static bool IsWellFormed(string? token) =>
        token is { Length: 43 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
