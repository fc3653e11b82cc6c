using System.Security.Cryptography;
using System.Text;
using MailKit.Net.Smtp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Core.Branding;
using OmePortal.Core.Mime;
using OmePortal.Core.Notifications;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Access.External;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;
using OmePortal.Web.Portal;
using OmePortal.Web.Telemetry;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Notifications;

/// <summary>
/// Delivers queued notification mail. Rows are claimed with a lease (<see cref="NotificationOptions.LeaseDuration"/>)
/// so that several nodes (or a restarted one) never send the same row at the same time, and a node that dies
/// holding rows has them taken over by another once the lease has ended; the lease is renewed right before each
/// send and the outcome recorded only while it is still held. A failed send is retried with exponential back-off
/// until <see cref="NotificationOptions.MaxAttempts"/>. Delivery is at least once: a crash between sending and
/// recording it sends that one mail again.
/// </summary>
public sealed partial class NotificationDispatcher(
    IServiceScopeFactory scopes,
    OutboxSignal signal,
    IMailTransport transport,
    PublicUrls urls,
    MasterKeyHolder master,
    RecipientLanguages languages,
    ExternalProviders providers,
    Readiness readiness,
    IOptions<NotificationOptions> options,
    TimeProvider time,
    PortalMetrics metrics,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 32;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!readiness.IsReady && !stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(100, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var processed = 0;
            try
            {
                processed = await DeliverDueAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogQueueError(ex);
            }

            if (processed < BatchSize)
            {
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
        }
    }

    /// <summary>Delivers one batch of due mail; returns how many rows it handled.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<(Guid Id, DateTimeOffset Lease)> claimed;
        await using (var scope = scopes.CreateAsyncScope())
        {
            claimed = await ClaimDueAsync(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>(), cancellationToken);
        }

        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, DeliverOneAsync);
        return claimed.Count;
    }

    /// <summary>
    /// Claims up to <see cref="BatchSize"/> due rows for this node by writing a lease end on them; returns the rows won,
    /// each with the lease value it holds. A lease value is also the claim's fencing token: a takeover happens only
    /// after the old lease ended, so the new value is always later, and two claims of one row never hold the same value.
    /// </summary>
    private async Task<IReadOnlyList<(Guid Id, DateTimeOffset Lease)>> ClaimDueAsync(OmePortalDbContext db, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lease = LeaseFrom(now);
        if (db is PostgresOmePortalDbContext)
        {
            // One statement: rows another node is claiming right now are skipped instead of waited for, and the
            // conditions are checked again on the locked row, so a row is won by exactly one claimer.
            var ids = await db.Database.SqlQuery<Guid>($"""
                UPDATE "OutboundMails" SET "LeaseUntil" = {lease}
                WHERE "Id" IN (
                    SELECT "Id" FROM "OutboundMails"
                    WHERE "Status" = {(int)OutboundMailStatus.Pending} AND "NextAttemptAt" <= {now} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                    ORDER BY "NextAttemptAt"
                    LIMIT {BatchSize}
                    FOR UPDATE SKIP LOCKED)
                RETURNING "Id" AS "Value"
                """).ToListAsync(cancellationToken);
            return [.. ids.Select(id => (id, lease))];
        }

        // SQLite: one node is all there is (the database is a file of that node), and SQLite runs one writer at a
        // time; the conditional update per row still keeps a restarted node from taking a row leased before.
        var due = await db.OutboundMails.AsNoTracking()
            .Where(o => o.Status == OutboundMailStatus.Pending && o.NextAttemptAt <= now && (o.LeaseUntil == null || o.LeaseUntil < now))
            .OrderBy(o => o.NextAttemptAt)
            .Select(o => o.Id)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        List<(Guid, DateTimeOffset)> claimed = [];
        foreach (var id in due)
        {
            var won = await db.OutboundMails
                .Where(o => o.Id == id && o.Status == OutboundMailStatus.Pending && o.NextAttemptAt <= now && (o.LeaseUntil == null || o.LeaseUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.LeaseUntil, lease), cancellationToken);
            if (won == 1)
            {
                claimed.Add((id, lease));
            }
        }

        return claimed;
    }

    /// <summary>
    /// A lease end from now, in whole milliseconds: the value is compared for equality after a round trip through
    /// the database, which keeps microseconds (PostgreSQL) but not the 100 ns ticks of <see cref="DateTimeOffset"/>.
    /// </summary>
    private DateTimeOffset LeaseFrom(DateTimeOffset now)
    {
        var end = now + options.Value.LeaseDuration;
        return end.AddTicks(-(end.Ticks % TimeSpan.TicksPerMillisecond));
    }

    private async ValueTask DeliverOneAsync((Guid Id, DateTimeOffset Lease) claim, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();

        // Renewed right before the send: a row that waited in this node's batch behind slow sends gets a whole lease
        // for its own send, and a row whose lease ran out while it waited (another node may have it now) is left alone.
        var lease = LeaseFrom(time.GetUtcNow());
        if (await db.OutboundMails
                .Where(o => o.Id == claim.Id && o.Status == OutboundMailStatus.Pending && o.LeaseUntil == claim.Lease)
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.LeaseUntil, lease), cancellationToken) == 0)
        {
            LogLeaseLost(claim.Id);
            return;
        }

        var mail = await db.OutboundMails.SingleAsync(o => o.Id == claim.Id, cancellationToken);
        if (mail.Kind == OutboundMailKind.EndToEnd)
        {
            await DeliverEndToEndAsync(scope.ServiceProvider, db, mail, lease, cancellationToken);
            return;
        }

        (MimeKit.MimeMessage Mail, Guid? MessageId)? composed;
        try
        {
            composed = mail.Kind switch
            {
                OutboundMailKind.Notification => await SignedAsync(
                    scope.ServiceProvider, mail.TenantId, await ComposeNotificationAsync(db, scope.ServiceProvider.GetRequiredService<MessageVault>(), mail, cancellationToken), cancellationToken),
                OutboundMailKind.Passcode => await ComposePasscodeAsync(db, mail, cancellationToken),
                OutboundMailKind.PasskeyAdded => ComposePasskeyAdded(mail),
                OutboundMailKind.RecipientKeyAdded => ComposeRecipientKeyAdded(mail),
                _ => throw new InvalidOperationException($"Unknown outbound mail kind {mail.Kind}."),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // E.g. the message shredded between its key and its blob being read: this row is retried later (and then
            // cancelled as shredded), while the rest of the batch goes on instead of waiting out its leases.
            RecordFailedAttempt(scope.ServiceProvider, mail, mail.MessageId, ex);
            await SaveIfStillLeasedAsync(db, mail.Id, lease, CancellationToken.None);
            return;
        }

        if (composed is null)
        {
            await SaveIfStillLeasedAsync(db, mail.Id, lease, cancellationToken);
            return;
        }

        var (notification, messageId) = composed.Value;
        try
        {
            await transport.SendAsync(notification, cancellationToken);
            mail.SentAt = time.GetUtcNow();
            Finish(mail, OutboundMailStatus.Sent, error: null);
            if (mail.Kind == OutboundMailKind.Notification)
            {
                AuditDelivery(scope.ServiceProvider, mail, AuditEventKind.NotificationSent);
            }

            LogSent(mail.Kind, messageId, mail.Attempts + 1);
            metrics.Sent(mail.Kind);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            RecordFailedAttempt(scope.ServiceProvider, mail, messageId, ex);
        }

        await SaveIfStillLeasedAsync(db, mail.Id, lease, CancellationToken.None);
    }

    /// <summary>Counts a failed attempt: the row is failed for good after <see cref="NotificationOptions.MaxAttempts"/>, else released and due again after the back-off.</summary>
    private void RecordFailedAttempt(IServiceProvider services, OutboundMailRecord mail, Guid? messageId, Exception ex)
    {
        mail.Attempts++;
        mail.LastError = Truncate($"{ex.GetType().Name}: {ex.Message}");
        if (mail.Attempts >= options.Value.MaxAttempts)
        {
            Finish(mail, OutboundMailStatus.Failed, mail.LastError);
            AuditDelivery(services, mail, AuditEventKind.NotificationFailed);
        }
        else
        {
            mail.NextAttemptAt = time.GetUtcNow() + RetryDelay(mail.Attempts);
            mail.LeaseUntil = null;
        }

        // The row keeps the server's words for the admin's trace; the log gets the kind of failure only,
        // because a smart host's reply may quote the recipient's address (docs/ARCHITECTURE.md §14).
        LogSendFailed(mail.Kind, messageId, mail.Attempts, ex is SmtpCommandException smtp ? $"{ex.GetType().Name} {(int)smtp.StatusCode}" : ex.GetType().Name);
        metrics.SendFailed(mail.Kind);
    }

    /// <summary>
    /// Records the outcome only while this node still holds the row's lease, in one transaction that first locks the
    /// row with a conditional update: a node whose lease ran out mid-send (and was taken over) must not overwrite what
    /// the node that took over records. Its mail then went out twice, which at-least-once delivery allows.
    /// </summary>
    private async Task SaveIfStillLeasedAsync(OmePortalDbContext db, Guid id, DateTimeOffset lease, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var held = await db.OutboundMails
            .Where(o => o.Id == id && o.LeaseUntil == lease)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.LeaseUntil, lease), cancellationToken);
        if (held == 0)
        {
            LogLeaseLost(id);
            return;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The notification of a protected message, or null (and the row finished) when the message was shredded.
    /// Its language: one fixed when the mail was queued, else the one the recipient last used in the portal,
    /// else the original's Content-Language, else the template's default.
    /// </summary>
    private async Task<(MimeKit.MimeMessage Mail, Guid? MessageId)?> ComposeNotificationAsync(OmePortalDbContext db, MessageVault vault, OutboundMailRecord mail, CancellationToken cancellationToken)
    {
        var message = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == mail.MessageId, cancellationToken);
        string token;
        byte[]? summary;
        switch (await vault.OpenKeyAsync(db, message, cancellationToken))
        {
            case MessageKeyResult.Shredded:
                Finish(mail, OutboundMailStatus.Cancelled, "The message was shredded before delivery.");
                return null;
            case MessageKeyResult.Available available:
                using (available.Key)
                {
                    var sealedToken = mail.SealedPayload ?? throw new InvalidOperationException($"Outbound mail {mail.Id} has no link token.");
                    token = Encoding.ASCII.GetString(VaultStream.Open(available.Key, new BlobContext(message.TenantId, message.Id, BlobPurpose.Sealed), sealedToken));
                    summary = MessageVault.OpenSummary(available.Key, message);
                }

                break;
            default:
                throw new InvalidOperationException("Unknown key result.");
        }

        var brand = await BrandOfTemplateAsync(db, message.TemplateId, cancellationToken);
        var language = mail.Language
            ?? await languages.RememberedAsync(db, mail.ToAddress, cancellationToken)
            ?? await ContentLanguageAsync(db, vault, message, cancellationToken);
        var (senderName, subject) = SenderNameAndSubject(summary, message);
        return (NotificationComposer.Compose(new NotificationRequest(
            brand,
            Language: language,
            RecipientAddress: mail.ToAddress,
            SenderAddress: message.SenderAddress,
            SenderName: senderName,
            Link: new Uri(urls.RecipientLink(token)),
            ExpiresAt: message.ExpiresAt,
            FromAddress: options.Value.FromAddress,
            FromName: options.Value.FromName,
            MessageId: message.Id,
            SignIn: SignInOffer.For(brand, message.TenantId, providers).ForMail(),
            OriginalSubject: brand.SubjectInNotification ? subject : null)), message.Id);
    }

    /// <summary>
    /// The sender's display name (the From mailbox that is the envelope sender, else the first) and the subject,
    /// from the sealed summary on the row: the notification names the person, not only the address. Both are
    /// null for a message stored before summaries were kept on the row. Zeroes <paramref name="summary"/>.
    /// </summary>
    private static (string? SenderName, string? Subject) SenderNameAndSubject(byte[]? summary, MessageRecord message)
    {
        if (summary is null)
        {
            return (null, null);
        }

        try
        {
            var model = RenderModelSerializer.DeserializeSummary(summary);
            var from = model.From.FirstOrDefault(f => string.Equals(f.Address, message.SenderAddress, StringComparison.OrdinalIgnoreCase)) ?? model.From.FirstOrDefault();
            return (from?.Name, model.Subject);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(summary);
        }
    }

    /// <summary>
    /// The brand of a passcode mail asked for without a message (the inbox sign-in at <c>/signin</c>): the portal's
    /// own, with the built-in texts and no logo. The address may have mail from several tenants, and the code opens
    /// all of it; dressing it in one tenant's brand (say, that of its newest message) would tell the reader, or
    /// whoever sees the mail, which organisation last wrote to the address, and would let a tenant's brand vouch
    /// for another tenant's messages.
    /// </summary>
    public static readonly BrandTemplate PortalBrand = new() { Name = "Portal" };

    /// <summary>A passcode mail in the brand of the message it is for (or the neutral <see cref="PortalBrand"/>); null once the code has expired.</summary>
    private async Task<(MimeKit.MimeMessage Mail, Guid? MessageId)?> ComposePasscodeAsync(OmePortalDbContext db, OutboundMailRecord mail, CancellationToken cancellationToken)
    {
        var (code, reference, expiresAt) = Passcodes.OpenFromOutbox(master, mail.SealedPayload ?? throw new InvalidOperationException($"Outbound mail {mail.Id} has no passcode."));
        if (expiresAt <= time.GetUtcNow())
        {
            Finish(mail, OutboundMailStatus.Cancelled, "The passcode expired before it could be delivered.");
            return null;
        }

        var brand = mail.MessageId is { } messageId
            ? await BrandOfTemplateAsync(db, await db.Messages.Where(m => m.Id == messageId).Select(m => m.TemplateId).SingleAsync(cancellationToken), cancellationToken)
            : PortalBrand;
        return (PasscodeMailComposer.Compose(
            new PasscodeMailRequest(brand, Language: mail.Language, mail.ToAddress, code, reference, expiresAt, options.Value.FromAddress, options.Value.FromName),
            time.GetUtcNow()), mail.MessageId);
    }

    /// <summary>"A passkey was added", in the portal's neutral brand (Access/Passkeys/PasskeyAddedMail.cs).</summary>
    private (MimeKit.MimeMessage Mail, Guid? MessageId)? ComposePasskeyAdded(OutboundMailRecord mail)
    {
        var (name, addedAt) = Access.Passkeys.PasskeyAddedMail.Open(master, mail.SealedPayload ?? throw new InvalidOperationException($"Outbound mail {mail.Id} has no payload."));
        return (PasskeyAddedMailComposer.Compose(
            new PasskeyAddedMailRequest(PortalBrand, mail.Language, mail.ToAddress, name, addedAt, options.Value.FromAddress, options.Value.FromName),
            time.GetUtcNow()), null);
    }

    /// <summary>"An encryption key was added for your address", in the portal's neutral brand (RecipientKeys/RecipientKeyAddedMail.cs).</summary>
    private (MimeKit.MimeMessage Mail, Guid? MessageId)? ComposeRecipientKeyAdded(OutboundMailRecord mail)
    {
        var (kind, fingerprint, addedAt) = RecipientKeys.RecipientKeyAddedMail.Open(master, mail.SealedPayload ?? throw new InvalidOperationException($"Outbound mail {mail.Id} has no payload."));
        return (RecipientKeyAddedMailComposer.Compose(
            new RecipientKeyAddedMailRequest(PortalBrand, mail.Language, mail.ToAddress, RecipientKeys.RecipientKeyAddedMail.KindName(kind), fingerprint, addedAt, options.Value.FromAddress, options.Value.FromName),
            time.GetUtcNow()), null);
    }

    /// <summary>The original's Content-Language (null when it has none the portal can write, or it was shredded meanwhile).</summary>
    private static async Task<string?> ContentLanguageAsync(OmePortalDbContext db, MessageVault vault, MessageRecord message, CancellationToken cancellationToken)
    {
        if (await vault.OpenBlobAsync(db, message, BlobPurpose.Content, cancellationToken) is not VaultReadResult.Opened opened)
        {
            return null;
        }

        await using (opened.Plaintext)
        {
            return await RecipientLanguages.ContentLanguageOfAsync(opened.Plaintext, cancellationToken);
        }
    }

    private static async Task<BrandTemplate> BrandOfTemplateAsync(OmePortalDbContext db, Guid templateId, CancellationToken cancellationToken)
    {
        var template = await db.BrandTemplates.AsNoTracking().SingleAsync(t => t.Id == templateId, cancellationToken);
        return BrandSerializer.FromJson(template.Json, template.Logo is null ? null : new BrandLogo(template.Logo, template.LogoContentType!));
    }

    /// <summary>Audits a delivery outcome in the same save as the row's new status. A passcode mail sent from the inbox sign-in has no tenant: not audited.</summary>
    private static void AuditDelivery(IServiceProvider services, OutboundMailRecord mail, AuditEventKind kind)
    {
        if (mail.TenantId == Guid.Empty)
        {
            return;
        }

        var detail = mail.Kind switch
        {
            OutboundMailKind.Passcode => "passcode",
            OutboundMailKind.EndToEnd => "end-to-end",
            _ => "notification",
        };
        services.GetRequiredService<AuditLog>().Add(mail.TenantId, kind, AuditLog.SystemActor, mail.MessageId, mail.RecipientId, $"{detail}; attempts {mail.Attempts + (kind == AuditEventKind.NotificationSent ? 1 : 0)}");
    }

    /// <summary>Delay after the given number of failed attempts: first, 2×first, 4×first… capped.</summary>
    public TimeSpan RetryDelay(int failedAttempts)
    {
        var o = options.Value;
        var factor = Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(o.FirstRetryDelay.Ticks * factor, o.MaxRetryDelay.Ticks));
        return delay;
    }

    // The link token is no longer needed once the mail has left (or never will): drop it.
    private static void Finish(OutboundMailRecord mail, OutboundMailStatus status, string? error)
    {
        mail.Status = status;
        mail.LastError = error is null ? null : Truncate(error);
        mail.SealedPayload = null;
        mail.LeaseUntil = null;
    }

    private static string Truncate(string value) => value.Length <= 1000 ? value : value[..1000];

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Kind} mail for message {MessageId} sent (attempt {Attempt}).")]
    private partial void LogSent(OutboundMailKind kind, Guid? messageId, int attempt);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "{Kind} mail for message {MessageId} failed (attempt {Attempt}): {Error}")]
    private partial void LogSendFailed(OutboundMailKind kind, Guid? messageId, int attempt, string? error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Outbound mail {Id} is no longer leased by this node (its lease ran out and another node took it, or it was finished elsewhere); nothing recorded here.")]
    private partial void LogLeaseLost(Guid id);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "The notification queue could not be read.")]
    private partial void LogQueueError(Exception ex);
}
