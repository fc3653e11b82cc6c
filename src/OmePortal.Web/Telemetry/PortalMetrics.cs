using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Intake;
using OmePortal.Data;

namespace OmePortal.Web.Telemetry;

/// <summary>
/// The portal's own instruments, all on the one meter <see cref="MeterName"/>. Every label value comes from a
/// small fixed set defined in code (channel, reason, method, kind, policy, operation): never an address, a
/// token, a subject or anything else a sender or reader typed (docs/ARCHITECTURE.md §14).
/// </summary>
public sealed class PortalMetrics
{
    public const string MeterName = "OmePortal";

    /// <summary>How long a read of the notification queue is reused: scrapes and exports may come often, the query need not.</summary>
    private static readonly TimeSpan QueueReadInterval = TimeSpan.FromSeconds(5);

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _sendFailures;
    private readonly Counter<long> _passcodesSent;
    private readonly Counter<long> _passcodesFailed;
    private readonly Counter<long> _signIns;
    private readonly Counter<long> _lockouts;
    private readonly Counter<long> _rateLimited;
    private readonly Histogram<double> _blobDuration;
    private readonly Histogram<double> _databaseDuration;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly Lock _queueLock = new();
    private QueueReading? _queue;

    public PortalMetrics(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider time)
    {
        _scopes = scopes;
        _time = time;
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("omeportal.messages.accepted", "{message}", "Messages accepted for protection, by channel (rest, smtp).");
        _refused = meter.CreateCounter<long>("omeportal.messages.refused", "{message}", "Messages refused at intake, by channel and reason.");
        _sendFailures = meter.CreateCounter<long>("omeportal.mail.send_failures", "{attempt}", "Outgoing mail attempts that failed, by kind (notification, passcode, passkey_added, recipient_key_added, end_to_end).");
        _passcodesSent = meter.CreateCounter<long>("omeportal.passcodes.sent", "{mail}", "Passcode mails handed to the smart host or pickup directory.");
        _passcodesFailed = meter.CreateCounter<long>("omeportal.passcodes.failed", "{attempt}", "Passcodes entered wrongly.");
        _signIns = meter.CreateCounter<long>("omeportal.signins", "{session}", "Recipient sign-ins, by method (passcode, passkey, oidc).");
        _lockouts = meter.CreateCounter<long>("omeportal.lockouts", "{lockout}", "Addresses put into a passcode cool-down after too many wrong codes.");
        _rateLimited = meter.CreateCounter<long>("omeportal.rate_limit.refusals", "{request}", "Requests refused with 429 by a rate limit, by policy.");
        _blobDuration = meter.CreateHistogram<double>("omeportal.blob.duration", "s", "Blob store latency, by operation (write, read: until the blob is open).");
        _databaseDuration = meter.CreateHistogram<double>("omeportal.db.duration", "s", "Database command latency, by operation (query, command, scalar) and outcome.");
        meter.CreateObservableGauge("omeportal.notifications.queue.depth", () => ReadQueue().Depth, "{mail}", "Outgoing mails waiting to be sent.");
        meter.CreateObservableGauge("omeportal.notifications.queue.oldest_age", () => ReadQueue().OldestAge, "s", "Age of the oldest outgoing mail waiting to be sent (0 when none).");
    }

    public void Accepted(IntakeChannel channel) => _accepted.Add(1, new KeyValuePair<string, object?>("channel", Name(channel)));

    public void Refused(IntakeChannel channel, string reason) =>
        _refused.Add(1, new KeyValuePair<string, object?>("channel", Name(channel)), new KeyValuePair<string, object?>("reason", reason));

    public void Refused(IntakeChannel channel, IngestError error) => Refused(channel, RefusalReasons.Of(error));

    public void SendFailed(OutboundMailKind kind) => _sendFailures.Add(1, new KeyValuePair<string, object?>("kind", Name(kind)));

    public void Sent(OutboundMailKind kind)
    {
        if (kind == OutboundMailKind.Passcode)
        {
            _passcodesSent.Add(1);
        }
    }

    public void PasscodeFailed() => _passcodesFailed.Add(1);

    public void SignedIn(SignInMethodLabel method) => _signIns.Add(1, new KeyValuePair<string, object?>("method", method switch
    {
        SignInMethodLabel.Passcode => "passcode",
        SignInMethodLabel.Passkey => "passkey",
        _ => "oidc",
    }));

    public void LockedOut() => _lockouts.Add(1);

    /// <summary><paramref name="policy"/> is a rate-limit policy name from code, or "global" for none.</summary>
    public void RateLimited(string policy) => _rateLimited.Add(1, new KeyValuePair<string, object?>("policy", policy));

    public void BlobWritten(TimeSpan elapsed) => _blobDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", "write"));

    public void BlobOpened(TimeSpan elapsed) => _blobDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", "read"));

    public void DatabaseCommand(string operation, TimeSpan elapsed, bool failed) =>
        _databaseDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", failed ? "error" : "ok"));

    private static string Name(IntakeChannel channel) => channel == IntakeChannel.Smtp ? "smtp" : "rest";

    private static string Name(OutboundMailKind kind) => kind switch
    {
        OutboundMailKind.Notification => "notification",
        OutboundMailKind.Passcode => "passcode",
        OutboundMailKind.PasskeyAdded => "passkey_added",
        OutboundMailKind.RecipientKeyAdded => "recipient_key_added",
        OutboundMailKind.EndToEnd => "end_to_end",
        _ => "other",
    };

    /// <summary>
    /// Two small queries at most every few seconds, whatever the scrape rate; a failure reads as the last
    /// known figures (the readiness check is where an unreachable database shows).
    /// </summary>
    private QueueReading ReadQueue()
    {
        lock (_queueLock)
        {
            var now = _time.GetUtcNow();
            if (_queue is { } cached && now - cached.ReadAt < QueueReadInterval)
            {
                return cached;
            }

            try
            {
                using var scope = _scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
                var pending = db.OutboundMails.AsNoTracking().Where(o => o.Status == OutboundMailStatus.Pending);
                var depth = pending.Count();
                var oldest = depth == 0 ? (DateTimeOffset?)null : pending.OrderBy(o => o.CreatedAt).Select(o => (DateTimeOffset?)o.CreatedAt).FirstOrDefault();
                _queue = new QueueReading(now, depth, oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0);
            }
            catch (Exception exception) when (exception is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or TimeoutException)
            {
                _queue = (_queue ?? new QueueReading(now, 0, 0)) with { ReadAt = now };
            }

            return _queue;
        }
    }

    private sealed record QueueReading(DateTimeOffset ReadAt, int Depth, double OldestAge);
}

/// <summary>The two ways a message comes in from outside (portal replies are neither).</summary>
public enum IntakeChannel
{
    Rest,
    Smtp,
}

/// <summary>The sign-in methods as a metric label (a passkey whatever verified it first; any OpenID Connect provider is "oidc").</summary>
public enum SignInMethodLabel
{
    Passcode,
    Passkey,
    Oidc,
}

/// <summary>The fixed set of refusal reasons that the refused-messages counter carries.</summary>
public static class RefusalReasons
{
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string InvalidRequest = "invalid_request";
    public const string TemporaryFailure = "temporary_failure";

    public static string Of(IngestError error) => error switch
    {
        IngestError.NotAMessage => "not_a_message",
        IngestError.Unparseable => "unparseable",
        IngestError.NoRecipients => "no_recipients",
        IngestError.TooLarge => "too_large",
        IngestError.UnknownTemplate => "unknown_template",
        IngestError.InvalidExpiry => "invalid_expiry",
        IngestError.SenderNotAccepted => "sender_not_accepted",
        IngestError.TooManyRecipients => "too_many_recipients",
        IngestError.TooComplex => "too_complex",
        _ => "other",
    };
}

/// <summary>The portal's spans (SMTP sessions and messages, outgoing SMTP). Tags carry ids, sizes and outcomes only.</summary>
public static class PortalActivities
{
    public const string SourceName = "OmePortal";

    public static readonly ActivitySource Source = new(SourceName);
}
