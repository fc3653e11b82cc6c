using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Revocation;

/// <summary>
/// Background service: every <see cref="RevocationOptions.SweepInterval"/> it crypto-shreds the messages
/// nobody can read any more (expired, or revoked for every recipient), then removes the anonymous state no
/// decision reads any more (<see cref="AnonymousStateSweeper"/>) and pickup mail files past their retention. It keeps no state of its own,
/// so after a crash or restart the next sweep simply finds what is still due; the per-message work is
/// safe to run on several instances at once (see <see cref="MessageShredder"/>).
/// </summary>
public sealed partial class ExpirySweeper(IServiceScopeFactory scopes, Readiness readiness, IOptions<RevocationOptions> options, TimeProvider time, ILogger<ExpirySweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SweeperEnabled)
        {
            return;
        }

        while (!readiness.IsReady && !stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(200, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(ex);
            }

            try
            {
                await SweepAnonymousStateAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogAnonymousStateFailed(ex);
            }

            try
            {
                SweepPickupDirectory();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPickupFailed(ex);
            }

            await Task.Delay(options.Value.SweepInterval, time, stoppingToken);
        }
    }

    /// <summary>One sweep over every tenant; returns the number of messages this sweep shredded.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var batchSize = options.Value.BatchSize;
        var total = 0;
        var seen = new HashSet<Guid>();
        while (true)
        {
            var now = time.GetUtcNow();
            List<Guid> due;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
                due = await db.Messages.AsNoTracking()
                    .Where(m => m.WrappedKey != null
                        && ((m.ExpiresAt != null && m.ExpiresAt <= now) || !m.Recipients.Any(r => r.RevokedAt == null)))
                    .OrderBy(m => m.Id)
                    .Select(m => m.Id)
                    .Take(batchSize)
                    .ToListAsync(cancellationToken);
            }

            // A message that failed to shred stays due: do not loop on it within one sweep.
            due.RemoveAll(id => !seen.Add(id));
            if (due.Count == 0)
            {
                return total;
            }

            foreach (var id in due)
            {
                await using var scope = scopes.CreateAsyncScope();
                try
                {
                    if (await scope.ServiceProvider.GetRequiredService<MessageShredder>().ShredIfUnreadableAsync(id, cancellationToken) == ShredOutcome.Shredded)
                    {
                        total++;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogMessageFailed(ex, id);
                }
            }
        }
    }

    /// <summary>Removes passcode challenges, lockout rows, sessions, passkey ceremonies and reply quota rows that are of no more use.</summary>
    public async Task<AnonymousStateSwept> SweepAnonymousStateAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AnonymousStateSweeper>().SweepAsync(cancellationToken);
    }

    /// <summary>Removes pickup mail files older than their retention; none when mail goes to a smart host.</summary>
    public int SweepPickupDirectory()
    {
        using var scope = scopes.CreateScope();
        if (scope.ServiceProvider.GetRequiredService<OmePortal.Web.Notifications.IMailTransport>() is not OmePortal.Web.Notifications.PickupDirectoryTransport pickup)
        {
            return 0;
        }

        var removed = pickup.RemoveExpired();
        if (removed > 0)
        {
            LogPickupSwept(removed, pickup.Retention);
        }

        return removed;
    }

    [LoggerMessage(EventId = 1406, Level = LogLevel.Information, Message = "Removed {Count} pickup mail file(s) older than {Retention}.")]
    private partial void LogPickupSwept(int count, TimeSpan retention);

    [LoggerMessage(EventId = 1407, Level = LogLevel.Error, Message = "Removing old pickup mail files failed; the next sweep retries.")]
    private partial void LogPickupFailed(Exception ex);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Error, Message = "Removing stale anonymous state failed; the next sweep retries.")]
    private partial void LogAnonymousStateFailed(Exception ex);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Error, Message = "The expiry sweep failed; will retry.")]
    private partial void LogFailed(Exception ex);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "Shredding message {MessageId} failed; the next sweep retries.")]
    private partial void LogMessageFailed(Exception ex, Guid messageId);
}
