using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Core.Replies;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;
using OmePortal.Web.Intake;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Replies;

/// <summary>The outcome of sending a reply.</summary>
public abstract record ReplySendResult
{
    private ReplySendResult() { }

    /// <summary>Stored encrypted as <paramref name="MessageId"/>, notifications queued to every recipient.</summary>
    public sealed record Sent(Guid MessageId) : ReplySendResult;

    /// <summary>The whole message is larger than the tenant accepts (<paramref name="MaxBytes"/>).</summary>
    public sealed record TooLarge(long MaxBytes) : ReplySendResult;

    /// <summary>The original was shredded while the reply was being written.</summary>
    public sealed record OriginalGone : ReplySendResult;

    /// <summary>
    /// Over one of the reply quotas (<see cref="ReplyQuotas"/>): nothing was stored or sent. <see cref="ReplyQuota.TenantStorage"/>
    /// is the tenant's storage (507); the others are the sender's (429).
    /// </summary>
    public sealed record QuotaExceeded(ReplyQuota Quota, long Limit) : ReplySendResult;

    /// <summary>Intake refused the message for another reason (logged).</summary>
    public sealed record Failed : ReplySendResult;
}

/// <summary>
/// Sends a reply, reply-all or forward as a new protected message: builds the MIME with
/// <see cref="ReplyBuilder"/> and hands it to <see cref="MessageIngestor"/> (the one path into the
/// vault), in the original's tenant, conversation, protection and branding template.
/// </summary>
public sealed partial class ReplyComposer(
    OmePortalDbContext db,
    MessageIngestor ingestor,
    MessageReader reader,
    AuditLog audit,
    ReplyQuotas quotas,
    PublicUrls urls,
    TimeProvider time,
    IOptions<RepliesOptions> options,
    ILogger<ReplyComposer> logger)
{
    /// <summary>The limits of a compose form for a message of <paramref name="tenantId"/>.</summary>
    public async Task<ReplyFormLimits> LimitsAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var tenantMax = await db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.MaxMessageBytes).SingleAsync(cancellationToken);
        var settings = options.Value;
        return new ReplyFormLimits(settings.MaxAttachments, Math.Min(settings.MaxAttachmentBytes, tenantMax), settings.MaxBodyChars);
    }

    /// <summary>
    /// Sends the reply from the recipient session <paramref name="sessionId"/>, within the reply quotas: a post
    /// over one stores nothing and sends nothing, and the refusal is audited.
    /// </summary>
    public async Task<ReplySendResult> SendAsync(
        OpenedMessage original,
        ReplyPlan plan,
        string body,
        ReplyTexts texts,
        IReadOnlyList<ReplyUpload> uploads,
        Guid sessionId,
        CancellationToken cancellationToken)
    {
        var record = original.Record;
        var quota = await quotas.CheckBeforeSendAsync(record, plan, original.Access.Address, sessionId, cancellationToken);
        if (quota is ReplyQuotaCheck.Exceeded exceeded)
        {
            return await RefuseAsync(original, plan, exceeded.Quota, exceeded.Limit, cancellationToken);
        }

        var newRecipients = ((ReplyQuotaCheck.Within)quota).NewRecipients;
        var facts = OriginalMessage.FromRenderModel(original.Model, record.SenderAddress);
        var attachments = new List<ReplyAttachment>();
        Stream? content = null;
        try
        {
            if (plan.Mode == ReplyMode.Forward)
            {
                // Encrypt-Only only (Do-Not-Forward is refused before this): the original's files go along,
                // streamed out of its decrypted MIME as the new message is written.
                var files = original.Model.Attachments.Where(a => !a.IsInline && a.ContentOffset >= 0).ToList();
                if (files.Count > 0)
                {
                    content = await reader.OpenContentAsync(original, cancellationToken);
                    if (content is null)
                    {
                        return new ReplySendResult.OriginalGone();
                    }

                    attachments.AddRange(files.Select(f => new ReplyAttachment(f.FileName, f.ContentType, AttachmentContent.OpenDecoded(content, f))));
                }
            }

            attachments.AddRange(uploads.Select(u => new ReplyAttachment(u.FileName, u.ContentType, u.Buffer.Complete(), ContentIsBase64: true)));

            var message = ReplyBuilder.Build(plan, facts, body, texts, attachments, time.GetUtcNow(), new Uri(urls.BaseUrl).IdnHost);
            await using var mime = ReplyMime.Serialize(message, cancellationToken);
            if (!await quotas.FitsStorageAsync(record.TenantId, mime.Length, cancellationToken))
            {
                return await RefuseAsync(original, plan, ReplyQuota.TenantStorage, options.Value.TenantStorageQuotaBytes, cancellationToken);
            }

            var templateName = await db.BrandTemplates.AsNoTracking()
                .Where(t => t.Id == record.TemplateId && t.TenantId == record.TenantId)
                .Select(t => t.Name)
                .SingleAsync(cancellationToken);

            var result = await ingestor.IngestAsync(
                new IngestRequest(
                    record.TenantId,
                    mime,
                    IngestSource.Reply,
                    Protection: record.Protection,
                    TemplateName: templateName,
                    EnvelopeSender: plan.From.Address,
                    EnvelopeRecipients: plan.Recipients,
                    ConversationId: record.ConversationId,
                    InReplyToMessageId: record.Id),
                cancellationToken);

            switch (result)
            {
                case IngestResult.Accepted accepted:
                    if (plan.Mode != ReplyMode.Forward)
                    {
                        var now = time.GetUtcNow();
                        await db.Recipients
                            .Where(r => r.Id == original.Access.RecipientId)
                            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RepliedAt, now), cancellationToken);
                    }

                    // Counted with the audit entry, in one save: the quota sees every reply the log does.
                    quotas.Count(record.TenantId, original.Access.Address, sessionId, newRecipients);
                    await audit.RecordAsync(
                        record.TenantId, plan.Mode == ReplyMode.Forward ? AuditEventKind.Forwarded : AuditEventKind.Replied,
                        original.Access.Address, record.Id, original.Access.RecipientId, $"{plan.Mode.ToString().ToLowerInvariant()}; {accepted.MessageId}", cancellationToken);
                    LogSent(accepted.MessageId, plan.Mode, record.Id, plan.Recipients.Count, attachments.Count);
                    return new ReplySendResult.Sent(accepted.MessageId);
                case IngestResult.Rejected { Error: IngestError.TooLarge }:
                    var max = await db.Tenants.AsNoTracking().Where(t => t.Id == record.TenantId).Select(t => t.MaxMessageBytes).SingleAsync(cancellationToken);
                    return new ReplySendResult.TooLarge(max);
                case IngestResult.Rejected rejected:
                    LogRejected(record.Id, rejected.Error, rejected.Detail);
                    return new ReplySendResult.Failed();
                default:
                    throw new System.Diagnostics.UnreachableException();
            }
        }
        finally
        {
            foreach (var attachment in attachments)
            {
                await attachment.Content.DisposeAsync();
            }

            if (content is not null)
            {
                await content.DisposeAsync();
            }
        }
    }

    private async Task<ReplySendResult> RefuseAsync(OpenedMessage original, ReplyPlan plan, ReplyQuota quota, long limit, CancellationToken cancellationToken)
    {
        var record = original.Record;
        await audit.RecordAsync(
            record.TenantId, AuditEventKind.ReplyRefused, original.Access.Address, record.Id, original.Access.RecipientId,
            $"{plan.Mode.ToString().ToLowerInvariant()}; quota {quota}; limit {limit}", cancellationToken);
        LogRefused(record.Id, plan.Mode, quota, limit);
        return new ReplySendResult.QuotaExceeded(quota, limit);
    }

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "A portal {Mode} to message {OriginalId} was refused: over the quota {Quota} ({Limit}).")]
    private partial void LogRefused(Guid originalId, ReplyMode mode, ReplyQuota quota, long limit);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Portal {Mode} {MessageId} to message {OriginalId} stored: {RecipientCount} recipient(s), {AttachmentCount} attachment(s).")]
    private partial void LogSent(Guid messageId, ReplyMode mode, Guid originalId, int recipientCount, int attachmentCount);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "A reply to message {OriginalId} was rejected by intake: {Error} ({Detail}).")]
    private partial void LogRejected(Guid originalId, IngestError error, string detail);
}
