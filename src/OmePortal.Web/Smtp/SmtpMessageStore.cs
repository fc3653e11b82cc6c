using System.Buffers;
using System.Diagnostics;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;
using OmePortal.Web.Intake;
using OmePortal.Web.Rules;
using OmePortal.Web.Telemetry;
using OmePortal.Web.Tenancy;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SmtpResponse = SmtpServer.Protocol.SmtpResponse;

namespace OmePortal.Web.Smtp;

/// <summary>
/// End of DATA: the tenant's mail-flow rules decide (in the message's own DI scope). A message they do not
/// encrypt is relayed unchanged to the smart host before the answer (see <see cref="RelayAsync"/>); the
/// others go through the one ingest path. The answer is
/// 250 only once the ingestor says the message is durable (blobs fsynced, database committed); a
/// rejection of the content is a 5xx, and every other failure a 4xx so that the sending server keeps
/// the message and tries again. Nothing of the message is logged.
/// </summary>
internal sealed class SmtpMessageStore(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<IntakeOptions> intake, PortalMetrics metrics, ILogger<SmtpMessageStore> logger) : IMessageStore
{
    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        var state = SmtpSessionState.Get(context);
        if (state.TransactionTenant is not Guid tenantId)
        {
            return SmtpReplies.NoTransaction;
        }

        using var activity = SessionActivity.StartMessage(state.Activity);
        activity?.SetTag("omeportal.message.size", buffer.Length);
        if (buffer.Length > state.TransactionLimit)
        {
            SmtpLog.DataTooLarge(logger, context.SessionId, buffer.Length, state.TransactionLimit, tenantId);
            metrics.Refused(IntakeChannel.Smtp, IngestError.TooLarge);
            activity?.SetTag("omeportal.refusal_reason", RefusalReasons.Of(IngestError.TooLarge));
            return SmtpReplies.TooLarge(state.TransactionLimit);
        }

        var recipients = transaction.To.Select(SmtpReplies.AsAddress).OfType<string>().ToList();
        try
        {
            using var mime = SequenceReadStream.ForMessage(buffer);

            // Before anything parses it (sender check, rules, relay): a structure over the limits is refused in one pass.
            if (OmePortal.Core.Mime.MessageParser.CheckStructure(mime, intake.Value.MimeLimits, cancellationToken) is { } tooComplex)
            {
                return Rejected(context, tenantId, new IngestResult.Rejected(tooComplex.Error, tooComplex.Detail));
            }

            await using var scope = scopes.CreateAsyncScope();
            var sender = SmtpReplies.AsAddress(transaction.From);
            // Relayed or encrypted, the sender must be the tenant's own: checked once here for both paths.
            if (await scope.ServiceProvider.GetRequiredService<AcceptedSenders>().CheckAsync(tenantId, mime, sender, cancellationToken) is SenderDecision.Refused refusedSender)
            {
                SmtpLog.Rejected(logger, context.SessionId, tenantId, IngestError.SenderNotAccepted);
                metrics.Refused(IntakeChannel.Smtp, IngestError.SenderNotAccepted);
                Activity.Current?.SetTag("omeportal.refusal_reason", RefusalReasons.Of(IngestError.SenderNotAccepted));
                return SmtpReplies.Rejected(SmtpReplyCode.MailboxUnavailable, "5.7.1", refusedSender.Detail);
            }

            var rules = await scope.ServiceProvider.GetRequiredService<MailFlowRules>().EvaluateAsync(tenantId, mime, sender, recipients, cancellationToken);
            var relay = scope.ServiceProvider.GetRequiredService<SmtpRelay>();
            if (rules is RulesVerdict.Evaluated { Encryption: null } unencrypted)
            {
                if (relay.IsConfigured)
                {
                    return await RelayAsync(context, relay, tenantId, mime, sender, recipients, unencrypted.Evaluation, cancellationToken);
                }

                RulesLog.NoRelay(logger, tenantId);
            }

            // Encrypted: by the rule that said so; with the tenant default when rules are broken (fail closed) or
            // there is nowhere to relay; an unreadable message goes to the ingestor, which rejects it with the reason.
            var encryption = (rules as RulesVerdict.Evaluated)?.Encryption;
            var ingestor = scope.ServiceProvider.GetRequiredService<MessageIngestor>();
            var request = new IngestRequest(
                tenantId,
                mime,
                IngestSource.Smtp,
                Protection: encryption?.Protection,
                TemplateName: encryption?.TemplateName,
                ExpiresInDays: encryption?.ExpiresInDays,
                EnvelopeSender: sender,
                EnvelopeRecipients: recipients,
                Delivery: encryption?.Rule.Action.Delivery ?? OmePortal.Core.EndToEnd.DeliveryPreference.Portal,
                EndToEndForDoNotForward: encryption?.Rule.Action.EndToEndForDoNotForward ?? false);
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
            metrics.Refused(IntakeChannel.Smtp, RefusalReasons.TemporaryFailure);
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            return SmtpReplies.TemporaryFailure;
        }
    }

    /// <summary>
    /// A message no rule encrypts is relayed before the gateway answers: 250 means the smart host has taken it,
    /// so nothing needs to be queued here; if the smart host is unreachable or refuses, a 4xx makes the sending
    /// server keep the message and retry (docs/ARCHITECTURE.md §5: nothing is acknowledged that is not durable somewhere).
    /// </summary>
    private async Task<SmtpResponse> RelayAsync(ISessionContext context, SmtpRelay relay, Guid tenantId, Stream mime, string? sender, List<string> recipients, RuleEvaluation evaluation, CancellationToken cancellationToken)
    {
        try
        {
            await relay.RelayAsync(mime, sender, recipients, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            RulesLog.RelayFailed(logger, tenantId, exception);
            return SmtpReplies.RelayFailed;
        }

        var reason = evaluation.Decision is RuleDecision.DoNotEncrypt exempt ? "rule " + exempt.By.Name : "no rule matched";
        RulesLog.Relayed(logger, tenantId, reason, mime.Length, recipients.Count);
        return SmtpReplies.Relayed;
    }

    private SmtpResponse Accepted(ISessionContext context, Guid tenantId, IngestResult.Accepted accepted, long size, int recipientCount)
    {
        SmtpLog.Stored(logger, context.SessionId, accepted.MessageId, tenantId, size, recipientCount, accepted.Duplicate);
        metrics.Accepted(IntakeChannel.Smtp);
        Activity.Current?.SetTag("omeportal.message.id", accepted.MessageId.ToString());
        return SmtpReplies.Accepted(accepted.MessageId);
    }

    private SmtpResponse Rejected(ISessionContext context, Guid tenantId, IngestResult.Rejected rejected)
    {
        SmtpLog.Rejected(logger, context.SessionId, tenantId, rejected.Error);
        metrics.Refused(IntakeChannel.Smtp, rejected.Error);
        Activity.Current?.SetTag("omeportal.refusal_reason", RefusalReasons.Of(rejected.Error));
        return rejected.Error switch
        {
            IngestError.TooLarge => SmtpReplies.Rejected(SmtpReplyCode.SizeLimitExceeded, "5.3.4", rejected.Detail),
            IngestError.NoRecipients => SmtpReplies.Rejected(SmtpReplyCode.MailboxUnavailable, "5.1.3", rejected.Detail),
            IngestError.TooManyRecipients => SmtpReplies.Rejected(SmtpReplyCode.MailboxUnavailable, "5.5.3", rejected.Detail),
            IngestError.TooComplex => SmtpReplies.Rejected(SmtpReplyCode.TransactionFailed, "5.3.4", rejected.Detail),
            IngestError.SenderNotAccepted => SmtpReplies.Rejected(SmtpReplyCode.MailboxUnavailable, "5.7.1", rejected.Detail),
            IngestError.NotAMessage or IngestError.Unparseable => SmtpReplies.Rejected(SmtpReplyCode.TransactionFailed, "5.6.0", rejected.Detail),
            _ => SmtpReplies.Rejected(SmtpReplyCode.TransactionFailed, "5.3.0", rejected.Detail),
        };
    }
}
