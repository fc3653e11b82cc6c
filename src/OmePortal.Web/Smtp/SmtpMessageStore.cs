using System.Buffers;
using OmePortal.Core.Intake;
using OmePortal.Web.Intake;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SmtpResponse = SmtpServer.Protocol.SmtpResponse;

namespace OmePortal.Web.Smtp;

/// <summary>
/// End of DATA: the message goes through the one ingest path, in its own DI scope. The answer is
/// 250 only once the ingestor says the message is durable (blobs fsynced, database committed); a
/// rejection of the content is a 5xx, and every other failure a 4xx so that the sending server keeps
/// the message and tries again. Nothing of the message is logged.
/// </summary>
internal sealed class SmtpMessageStore(IServiceScopeFactory scopes, ILogger<SmtpMessageStore> logger) : IMessageStore
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        var state = SmtpSessionState.Get(context);
        if (state.TransactionTenant is not Guid tenantId)
        {
            return SmtpReplies.NoTransaction;
        }

        if (buffer.Length > state.TransactionLimit)
        {
            SmtpLog.DataTooLarge(logger, context.SessionId, buffer.Length, state.TransactionLimit, tenantId);
            return SmtpReplies.TooLarge(state.TransactionLimit);
        }

        var recipients = transaction.To.Select(SmtpReplies.AsAddress).OfType<string>().ToList();
        try
        {
            using var mime = CopyMessage(buffer);
            await using var scope = scopes.CreateAsyncScope();
            var ingestor = scope.ServiceProvider.GetRequiredService<MessageIngestor>();
            var request = new IngestRequest(
                tenantId,
                mime,
                IngestSource.Smtp,
                Protection: null,
                TemplateName: null,
                ExpiresInDays: null,
                EnvelopeSender: SmtpReplies.AsAddress(transaction.From),
                EnvelopeRecipients: recipients);
            var result = await ingestor.IngestAsync(request, cancellationToken);
            return result switch
            {
                IngestResult.Accepted accepted => Accepted(context, tenantId, accepted, mime.Length, recipients.Count),
                IngestResult.Rejected rejected => Rejected(context, tenantId, rejected),
                _ => throw new System.Diagnostics.UnreachableException(),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            SmtpLog.StoreCancelled(logger, context.SessionId);
            return SmtpReplies.ShuttingDown;
        }
        catch (Exception exception)
        {
            SmtpLog.StoreFailed(logger, context.SessionId, exception);
            return SmtpReplies.TemporaryFailure;
        }
    }

    /// <summary>
    /// One copy of the received bytes into a seekable stream. SmtpServer hands over the content between
    /// DATA and the terminating CRLF.CRLF (dot-unstuffed) without that last CRLF, which belongs to the message.
    /// </summary>
    private static MemoryStream CopyMessage(ReadOnlySequence<byte> buffer)
    {
        var endsWithCrlf = buffer.Length >= 2 && EndsWithCrlf(buffer.Slice(buffer.Length - 2));
        var length = checked((int)buffer.Length + (endsWithCrlf ? 0 : Crlf.Length));
        var bytes = new byte[length];
        buffer.CopyTo(bytes);
        if (!endsWithCrlf)
        {
            Crlf.CopyTo(bytes, (int)buffer.Length);
        }

        return new MemoryStream(bytes, 0, length, writable: false, publiclyVisible: true);
    }

    private static bool EndsWithCrlf(ReadOnlySequence<byte> lastTwo)
    {
        Span<byte> tail = stackalloc byte[2];
        lastTwo.CopyTo(tail);
        return tail[0] == '\r' && tail[1] == '\n';
    }

    private SmtpResponse Accepted(ISessionContext context, Guid tenantId, IngestResult.Accepted accepted, long size, int recipientCount)
    {
        SmtpLog.Stored(logger, context.SessionId, accepted.MessageId, tenantId, size, recipientCount, accepted.Duplicate);
        return SmtpReplies.Accepted(accepted.MessageId);
    }

    private SmtpResponse Rejected(ISessionContext context, Guid tenantId, IngestResult.Rejected rejected)
    {
        SmtpLog.Rejected(logger, context.SessionId, tenantId, rejected.Error);
        return rejected.Error switch
        {
            IngestError.TooLarge => SmtpReplies.Rejected(SmtpReplyCode.SizeLimitExceeded, "5.3.4", rejected.Detail),
            IngestError.NoRecipients => SmtpReplies.Rejected(SmtpReplyCode.MailboxUnavailable, "5.1.3", rejected.Detail),
            IngestError.NotAMessage or IngestError.Unparseable => SmtpReplies.Rejected(SmtpReplyCode.TransactionFailed, "5.6.0", rejected.Detail),
            _ => SmtpReplies.Rejected(SmtpReplyCode.TransactionFailed, "5.3.0", rejected.Detail),
        };
    }
}
