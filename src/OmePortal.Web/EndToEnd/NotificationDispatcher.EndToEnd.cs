using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.EndToEnd;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.EndToEnd;

namespace OmePortal.Web.Notifications;

/// <summary>
/// The dispatcher's end-to-end branch (docs/ARCHITECTURE.md §6), kept beside the feature it serves: an
/// <see cref="OutboundMailKind.EndToEnd"/> row is composed from the vault at send time and relayed through the
/// smart host; when the recipient's key is no longer usable the row becomes the portal notification it would
/// otherwise have been, so the recipient is never left without the message.
/// </summary>
public sealed partial class NotificationDispatcher
{
    private async Task DeliverEndToEndAsync(IServiceProvider services, OmePortalDbContext db, OutboundMailRecord mail, DateTimeOffset lease, CancellationToken cancellationToken)
    {
        var endToEnd = services.GetRequiredService<EndToEndMail>();
        EndToEndComposition composition;
        try
        {
            var message = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == mail.MessageId, cancellationToken);
            composition = await endToEnd.ComposeAsync(db, message, mail.ToAddress, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            RecordFailedAttempt(services, mail, mail.MessageId, ex);
            await SaveIfStillLeasedAsync(db, mail.Id, lease, CancellationToken.None);
            return;
        }

        switch (composition)
        {
            case EndToEndComposition.Shredded:
                Finish(mail, OutboundMailStatus.Cancelled, "The message was shredded before delivery.");
                break;

            case EndToEndComposition.KeyGone:
                // The link token is still on the row: it is now the recipient's portal notification, due at once.
                mail.Kind = OutboundMailKind.Notification;
                mail.NextAttemptAt = time.GetUtcNow();
                mail.LeaseUntil = null;
                var recipient = await db.Recipients.SingleAsync(r => r.Id == mail.RecipientId, cancellationToken);
                recipient.DeliveryMethod = DeliveryMethod.Portal;
                break;

            case EndToEndComposition.Ready ready:
                using (ready.Mail)
                {
                    try
                    {
                        await endToEnd.RelayAsync(ready, mail.ToAddress, cancellationToken);
                        mail.SentAt = time.GetUtcNow();
                        services.GetRequiredService<AuditLog>().Add(
                            mail.TenantId, AuditEventKind.NotificationSent, AuditLog.SystemActor, mail.MessageId, mail.RecipientId,
                            $"end-to-end {ready.Method}; attempts {mail.Attempts + 1}");
                        Finish(mail, OutboundMailStatus.Sent, error: null);
                        LogSent(mail.Kind, mail.MessageId, mail.Attempts + 1);
                        metrics.Sent(mail.Kind);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        RecordFailedAttempt(services, mail, mail.MessageId, ex);
                    }
                }

                break;

            default:
                throw new InvalidOperationException("Unknown end-to-end composition.");
        }

        await SaveIfStillLeasedAsync(db, mail.Id, lease, CancellationToken.None);
        if (mail.Kind == OutboundMailKind.Notification)
        {
            signal.Notify();
        }
    }

    /// <summary>Signs a composed notification with the tenant's identity when the tenant asked for signed notifications.</summary>
    private static async Task<(MimeMessage Mail, Guid? MessageId)?> SignedAsync(
        IServiceProvider services, Guid tenantId, (MimeMessage Mail, Guid? MessageId)? composed, CancellationToken cancellationToken)
    {
        if (composed is not { } notification)
        {
            return null;
        }

        var signed = await services.GetRequiredService<EndToEndMail>().SignNotificationAsync(tenantId, notification.Mail, cancellationToken);
        return (signed, notification.MessageId);
    }
}
