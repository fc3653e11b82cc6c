using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Branding;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;
using OmePortal.Web.Notifications;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Intake;

/// <summary>
/// The one path by which a message becomes protected, whatever door it came through (REST, SMTP,
/// portal replies): parse and sanitise once, encrypt the original and the render model to durable
/// blobs, then commit the message, its recipients and their notifications in one transaction.
/// When this returns <see cref="IngestResult.Accepted"/>, the message survives a crash.
/// </summary>
public sealed partial class MessageIngestor(
    OmePortalDbContext db,
    MessageVault vault,
    PublicUrls urls,
    OutboxSignal outbox,
    AuditLog audit,
    AcceptedSenders senders,
    IntakeCommitQueue commits,
    OmePortal.Web.EndToEnd.DeliveryPlanner deliveryPlanner,
    Microsoft.Extensions.Options.IOptions<IntakeOptions> intake,
    TimeProvider time,
    ILogger<MessageIngestor> logger)
{
    public const int MaxExpiryDays = 730;

    public async Task<IngestResult> IngestAsync(IngestRequest request, CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == request.TenantId, cancellationToken);
        if (request.Mime.Length > tenant.MaxMessageBytes)
        {
            return new IngestResult.Rejected(IngestError.TooLarge, $"The message is larger than this tenant's limit of {tenant.MaxMessageBytes} bytes.");
        }

        if (request.ExpiresInDays is < 0 or > MaxExpiryDays)
        {
            return new IngestResult.Rejected(IngestError.InvalidExpiry, $"expiresInDays must be between 0 and {MaxExpiryDays}.");
        }

        var template = await FindTemplateAsync(tenant.Id, request.TemplateName, cancellationToken);
        if (template is null)
        {
            return new IngestResult.Rejected(IngestError.UnknownTemplate, $"There is no branding template named '{request.TemplateName}'.");
        }

        request.Mime.Position = 0;
        var outcome = MessageParser.Parse(request.Mime, request.EnvelopeRecipients, intake.Value.MimeLimits, cancellationToken);
        if (outcome is ParseOutcome.Failed failed)
        {
            return new IngestResult.Rejected(failed.Error, failed.Detail);
        }

        var parsed = (ParseOutcome.Parsed)outcome;
        using var parsedMessage = parsed.Message; // its parts read from the caller's buffer
        if (request.Source != IngestSource.Reply
            && await senders.CheckAsync(tenant.Id, [.. parsedMessage.From.Mailboxes.Select(m => m.Address)], request.EnvelopeSender, cancellationToken) is SenderDecision.Refused refused)
        {
            // A portal reply's sender is the signed-in recipient (outside the tenant by nature); every other door is the tenant's own.
            return new IngestResult.Rejected(IngestError.SenderNotAccepted, refused.Detail);
        }

        var dedupeHash = DedupeHashFor(request, tenant.Id, parsed);
        if (dedupeHash is not null)
        {
            var existing = await FindDuplicateAsync(tenant.Id, dedupeHash, cancellationToken);
            if (existing is not null)
            {
                return existing;
            }
        }

        var brand = BrandSerializer.FromJson(template.Json, logo: null);
        var protection = request.Protection ?? tenant.DefaultProtection;
        var expiryDays = request.ExpiresInDays ?? brand.ExpiryDays;
        var now = time.GetUtcNow();
        DateTimeOffset? expiresAt = expiryDays == 0 ? null : now.AddDays(expiryDays);
        var messageId = Guid.CreateVersion7(now);

        // Per recipient: the portal notification, or an end-to-end copy composed from the vault at send time (§6).
        var delivery = await deliveryPlanner.PlanAsync(
            tenant.Id, request.Delivery, request.EndToEndForDoNotForward, protection, [.. parsed.Recipients.Select(r => r.Address)], cancellationToken);
        var (key, keyVersion, wrappedKey) = await vault.NewMessageKeyAsync(db, tenant.Id, cancellationToken);
        using (key)
        {
            try
            {
                using (var render = new MemoryStream(RenderModelSerializer.Serialize(parsed.RenderModel), writable: false))
                {
                    await vault.WriteBlobAsync(key, tenant.Id, messageId, BlobPurpose.RenderModel, render, cancellationToken);
                }

                request.Mime.Position = 0;
                await vault.WriteBlobAsync(key, tenant.Id, messageId, BlobPurpose.Content, request.Mime, cancellationToken);
            }
            catch
            {
                // No row exists yet, and none will: a render model stored before a failed content upload would be left with nothing pointing at it.
                await vault.DeleteBlobsOfFailedIntakeAsync(tenant.Id, messageId);
                throw;
            }

            var message = new MessageRecord
            {
                Id = messageId,
                TenantId = tenant.Id,
                Source = request.Source,
                Protection = protection,
                TemplateId = template.Id,
                SenderAddress = parsed.SenderAddress ?? AddressOrEmpty(request.EnvelopeSender),
                ReceivedAt = now,
                ExpiresAt = expiresAt,
                SizeBytes = request.Mime.Length,
                KeyVersion = keyVersion,
                WrappedKey = wrappedKey,
                ContentBlob = MessageVault.BlobName(tenant.Id, messageId, BlobPurpose.Content),
                RenderBlob = MessageVault.BlobName(tenant.Id, messageId, BlobPurpose.RenderModel),
                RenderPolicyVersion = parsed.RenderModel.PolicyVersion,
                SealedSummary = MessageVault.SealSummary(key, tenant.Id, messageId, parsed.RenderModel),
                DedupeHash = dedupeHash,
                ConversationId = request.ConversationId ?? messageId,
                InReplyToMessageId = request.InReplyToMessageId,
            };

            var links = new List<IngestedRecipient>(parsed.Recipients.Count);
            var sealContext = new BlobContext(tenant.Id, messageId, BlobPurpose.Sealed);
            foreach (var recipient in parsed.Recipients)
            {
                var token = NewToken();
                var record = new RecipientRecord
                {
                    Id = Guid.CreateVersion7(now),
                    MessageId = messageId,
                    TenantId = tenant.Id,
                    Address = recipient.Address,
                    Kind = recipient.Kind,
                    DeliveryMethod = delivery.MethodFor(recipient.Address),
                    TokenHash = HashToken(token),
                };
                message.Recipients.Add(record);
                db.OutboundMails.Add(new OutboundMailRecord
                {
                    Id = Guid.CreateVersion7(now),
                    TenantId = tenant.Id,
                    MessageId = messageId,
                    RecipientId = record.Id,
                    Kind = delivery.MailKindFor(recipient.Address),
                    ToAddress = recipient.Address,
                    Status = OutboundMailStatus.Pending,
                    CreatedAt = now,
                    NextAttemptAt = now,
                    SealedPayload = VaultStream.Seal(key, sealContext, Encoding.ASCII.GetBytes(token)),
                });
                links.Add(new IngestedRecipient(recipient.Address, urls.RecipientLink(token)));
            }

            db.Messages.Add(message);
            audit.Add(tenant.Id, AuditEventKind.MessageReceived, ActorOf(request), messageId, detail: SourceName(request.Source));
            try
            {
                // Shares one transaction and fsync with the intakes committing at the same moment.
                await commits.CommitAsync(db, cancellationToken);
            }
            catch (DbUpdateException) when (dedupeHash is not null)
            {
                // A concurrent retry of the same SMTP transaction committed first: that copy is the one.
                db.ChangeTracker.Clear();
                await vault.DeleteBlobsAsync(message, CancellationToken.None);
                var winner = await FindDuplicateAsync(tenant.Id, dedupeHash, cancellationToken);
                if (winner is not null)
                {
                    return winner;
                }

                throw;
            }

            outbox.Notify();
            LogAccepted(messageId, request.Source, parsed.Recipients.Count, request.Mime.Length);
            return new IngestResult.Accepted(messageId, protection, expiresAt, links, Duplicate: false);
        }
    }

    /// <summary>A link token: 256 random bits, base64url. Only its SHA-256 is stored.</summary>
    public static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));

    private async Task<BrandTemplateRecord?> FindTemplateAsync(Guid tenantId, string? name, CancellationToken cancellationToken)
    {
        var templates = db.BrandTemplates.AsNoTracking().Where(t => t.TenantId == tenantId);
        return string.IsNullOrWhiteSpace(name)
            ? await templates.SingleOrDefaultAsync(t => t.IsDefault, cancellationToken)
            : await templates.SingleOrDefaultAsync(t => t.Name == name, cancellationToken);
    }

    private byte[]? DedupeHashFor(IngestRequest request, Guid tenantId, ParseOutcome.Parsed parsed)
    {
        // Only an SMTP client retries a transaction it is unsure about; a Message-ID plus the envelope identifies it.
        var messageIdHeader = parsed.Message.MessageId;
        if (request.Source != IngestSource.Smtp || string.IsNullOrEmpty(messageIdHeader))
        {
            return null;
        }

        var material = new StringBuilder(messageIdHeader).Append('\n').Append(request.EnvelopeSender).Append('\n');
        foreach (var recipient in parsed.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal))
        {
            material.Append(recipient).Append('\n');
        }

        return vault.DedupeHash(tenantId, material.ToString());
    }

    private async Task<IngestResult.Accepted?> FindDuplicateAsync(Guid tenantId, byte[] dedupeHash, CancellationToken cancellationToken)
    {
        var existing = await db.Messages.AsNoTracking()
            .Where(m => m.TenantId == tenantId && m.DedupeHash == dedupeHash)
            .Select(m => new { m.Id, m.Protection, m.ExpiresAt })
            .SingleOrDefaultAsync(cancellationToken);
        if (existing is null)
        {
            return null;
        }

        LogDuplicate(existing.Id);
        return new IngestResult.Accepted(existing.Id, existing.Protection, existing.ExpiresAt, [], Duplicate: true);
    }

    /// <summary>Who handed the message in: the API key, the verified recipient writing in the portal, or the gateway.</summary>
    private static string ActorOf(IngestRequest request) =>
        request.Actor ?? (request.Source == IngestSource.Reply ? AddressOrEmpty(request.EnvelopeSender) : AuditLog.SystemActor);

    private static string SourceName(IngestSource source) => source switch
    {
        IngestSource.Api => "api",
        IngestSource.Smtp => "smtp",
        IngestSource.Reply => "reply",
        _ => source.ToString(),
    };

    private static string AddressOrEmpty(string? address) => string.IsNullOrWhiteSpace(address) ? string.Empty : AddressNormalizer.Normalize(address);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Message {MessageId} accepted from {Source}: {RecipientCount} recipient(s), {Size} bytes.")]
    private partial void LogAccepted(Guid messageId, IngestSource source, int recipientCount, long size);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Retried transaction recognised; message {MessageId} is already stored.")]
    private partial void LogDuplicate(Guid messageId);
}
