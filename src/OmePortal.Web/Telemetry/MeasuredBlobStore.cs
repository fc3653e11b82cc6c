using System.Diagnostics;
using OmePortal.Web.Storage;

namespace OmePortal.Web.Telemetry;

/// <summary>
/// Times the blob store, whichever it is. A read is timed until the blob is open: timing the whole stream
/// would put a wrapper on every read of the reading path (docs/ARCHITECTURE.md §12) for little more insight.
/// </summary>
internal sealed class MeasuredBlobStore(IBlobStore inner, PortalMetrics metrics) : IBlobStore
{
    public IBlobStore Inner => inner;

    public async Task<long> WriteAsync(string name, Func<Stream, CancellationToken, Task> writer, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.WriteAsync(name, writer, cancellationToken);
        }
        finally
        {
            metrics.BlobWritten(Stopwatch.GetElapsedTime(started));
        }
    }

    public async Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.OpenReadAsync(name, cancellationToken);
        }
        finally
        {
            metrics.BlobOpened(Stopwatch.GetElapsedTime(started));
        }
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) => inner.ExistsAsync(name, cancellationToken);
}
