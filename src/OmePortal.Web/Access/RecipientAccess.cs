using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Branding;
using OmePortal.Data;

namespace OmePortal.Web.Access;

/// <summary>
/// Loads the facts about a message and asks <see cref="AccessPolicy"/>. Every page, frame, image,
/// download and reply endpoint goes through <see cref="DecideAsync"/>; nothing reads a message without it.
/// </summary>
public sealed class RecipientAccess(OmePortalDbContext db, TimeProvider time)
{
    public async Task<AccessDecision> DecideAsync(Guid messageId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var message = await db.Messages.AsNoTracking()
            .Where(m => m.Id == messageId)
            .Select(m => new
            {
                m.Id,
                m.Protection,
                m.SenderAddress,
                m.ExpiresAt,
                Shredded = m.WrappedKey == null,
                m.TemplateId,
                Recipients = m.Recipients.Select(r => new RecipientFacts(r.Id, r.Address, r.RevokedAt != null)).ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (message is null)
        {
            return AccessPolicy.Decide(null, user.RecipientAddress(), time.GetUtcNow());
        }

        var methods = SignInMethods.Passcode;
        var template = await db.BrandTemplates.AsNoTracking().Where(t => t.Id == message.TemplateId).Select(t => t.Json).SingleOrDefaultAsync(cancellationToken);
        if (template is not null && !BrandSerializer.FromJson(template, null).OtpEnabled)
        {
            methods &= ~SignInMethods.Passcode;
        }

        var facts = new MessageFacts(message.Id, message.Protection, message.SenderAddress, message.ExpiresAt, message.Shredded, methods, message.Recipients);
        return AccessPolicy.Decide(facts, user.RecipientAddress(), time.GetUtcNow());
    }
}
