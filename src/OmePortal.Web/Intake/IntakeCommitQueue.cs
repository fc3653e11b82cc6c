using System.Collections;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;

namespace OmePortal.Web.Intake;

/// <summary>
/// Group commit for intake: concurrent intakes hand their new rows to one writer, which inserts every
/// intake waiting at that moment in one transaction, so they share one commit and one fsync round
/// instead of queueing one by one on SQLite's write lock, whose busy handler sleeps 1–100 ms between
/// tries (bench/RESULTS.md, the profile of issue 24). An intake's task completes only after the
/// transaction holding its rows has committed, so "accepted" still means durable.
/// If a batch fails (a unique index: a retried SMTP transaction racing its first copy), each intake of
/// it is written again on its own, so only the intake at fault sees the exception.
/// </summary>
public sealed partial class IntakeCommitQueue : IAsyncDisposable
{
    /// <summary>Intakes one transaction takes at most; more wait for the next one.</summary>
    public const int MaxBatch = 64;

    // Bounded, so a burst beyond what the disk commits waits at the door instead of growing memory.
    private const int Capacity = 1024;

    private readonly Channel<PendingCommit> _queue = Channel.CreateBounded<PendingCommit>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<IntakeCommitQueue> _logger;
    private readonly Task _writer;
    private int _inFlight;
    private long _transactions;

    public IntakeCommitQueue(IServiceScopeFactory scopes, ILogger<IntakeCommitQueue> logger)
    {
        _scopes = scopes;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Commits what <paramref name="db"/> tracks, like <c>SaveChangesAsync</c>. Only new rows travel
    /// through the queue (they are detached from <paramref name="db"/> on the way); a context holding
    /// anything else, or new rows that point at rows not new, saves itself as before.
    /// </summary>
    public async Task CommitAsync(OmePortalDbContext db, CancellationToken cancellationToken)
    {
        db.ChangeTracker.DetectChanges();
        var entries = db.ChangeTracker.Entries().ToList();
        var added = entries.Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        if (added.Count == 0 || entries.Any(e => e.State is EntityState.Modified or EntityState.Deleted) || !OnlyPointsAtNewRows(db, added))
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var pending = new PendingCommit(added);
        await _queue.Writer.WriteAsync(pending, cancellationToken);

        // Handed over: from here the writer owns the rows, and the caller's context must not insert them again.
        foreach (var entity in added)
        {
            db.Entry(entity).State = EntityState.Detached;
        }

        // Not cancellable: once queued, the rows are committed or not regardless of the caller, and it must know which.
        await pending.Done.Task;
    }

    /// <summary>Intakes queued behind the transaction being written.</summary>
    public int Waiting => _queue.Reader.Count;

    /// <summary>Intakes in the transaction being written now (0 when the writer is idle).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Transactions the writer has committed since the process started.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private static bool OnlyPointsAtNewRows(OmePortalDbContext db, List<object> added)
    {
        var set = new HashSet<object>(added, ReferenceEqualityComparer.Instance);
        foreach (var entity in added)
        {
            foreach (var navigation in db.Entry(entity).Navigations)
            {
                switch (navigation.CurrentValue)
                {
                    case null:
                        break;
                    case IEnumerable many:
                        if (many.Cast<object>().Any(item => !set.Contains(item)))
                        {
                            return false;
                        }

                        break;
                    case var one when !set.Contains(one):
                        return false;
                }
            }
        }

        return true;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingCommit>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            Volatile.Write(ref _inFlight, batch.Count);
            try
            {
                await WriteAsync(batch);
                foreach (var pending in batch)
                {
                    pending.Done.TrySetResult();
                }
            }
            catch (Exception) when (batch.Count > 1)
            {
                LogBatchFailed(batch.Count);
                foreach (var pending in batch)
                {
                    try
                    {
                        await WriteAsync([pending]);
                        pending.Done.TrySetResult();
                    }
                    catch (Exception e)
                    {
                        pending.Done.TrySetException(e);
                    }
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
            finally
            {
                Volatile.Write(ref _inFlight, 0);
            }
        }
    }

    private async Task WriteAsync(IReadOnlyList<PendingCommit> batch)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        foreach (var pending in batch)
        {
            foreach (var entity in pending.Rows)
            {
                // Entry(...).State marks this row only; the graph walk of Add could reach a navigation's rows twice.
                db.Entry(entity).State = EntityState.Added;
            }
        }

        try
        {
            // One SaveChanges: one transaction, one commit, one fsync round for the whole batch.
            await db.SaveChangesAsync(CancellationToken.None);
            Interlocked.Increment(ref _transactions);
        }
        finally
        {
            // The context goes back to the pool; the rows stay with their intakes, not with it.
            db.ChangeTracker.Clear();
        }
    }

    private sealed class PendingCommit(List<object> rows)
    {
        public List<object> Rows { get; } = rows;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "A group commit of {Count} intakes failed; writing them one by one.")]
    private partial void LogBatchFailed(int count);
}
