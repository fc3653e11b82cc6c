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

    public sealed record Expired(string SenderAddress) : LinkLookup;

    public sealed record Revoked(string SenderAddress) : LinkLookup;

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
            return new LinkLookup.Expired(message.SenderAddress);
        }

        if (message.WrappedKey is null || recipient.RevokedAt is not null)
        {
            return new LinkLookup.Revoked(message.SenderAddress);
        }

        var template = await db.BrandTemplates.AsNoTracking().SingleAsync(t => t.Id == message.TemplateId && t.TenantId == message.TenantId, cancellationToken);
        return new LinkLookup.Found(message, recipient, template);
    }

    // 32 bytes in base64url: 43 characters of [A-Za-z0-9_-].
    private static bool IsWellFormed(string? token) =>
        token is { Length: 43 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
