using System.Threading.Channels;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Admin.Keys;

/// <summary>Asks for a tenant's message keys to be re-wrapped now rather than at the next periodic pass of <see cref="KeyRewrapService"/>.</summary>
public sealed class RewrapSignal
{
    private readonly Channel<Guid> _tenants = Channel.CreateBounded<Guid>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public void Request(Guid tenantId) => _tenants.Writer.TryWrite(tenantId);

    internal ChannelReader<Guid> Requests => _tenants.Reader;
}

/// <summary>
/// Re-wraps a tenant's message keys right after an admin rotates its key, in the vault's own batches
/// (<see cref="MessageVault.RewrapAsync"/>), so the keys page shows the job move. The periodic
/// <see cref="KeyRewrapService"/> remains the safety net after a restart.
/// </summary>
public sealed partial class RewrapOnRotation(RewrapSignal signal, IServiceScopeFactory scopes, ILogger<RewrapOnRotation> logger) : BackgroundService
{
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var tenantId in signal.Requests.ReadAllAsync(stoppingToken))
        {
            try
            {
                int done;
                do
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<Data.OmePortalDbContext>();
                    done = await scope.ServiceProvider.GetRequiredService<MessageVault>().RewrapAsync(db, tenantId, BatchSize, stoppingToken);
                }
                while (done > 0 && !stoppingToken.IsCancellationRequested);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(ex, tenantId);
            }
        }
    }

    [LoggerMessage(EventId = 1411, Level = LogLevel.Error, Message = "Re-wrapping the message keys of tenant {TenantId} after a rotation failed; the periodic re-wrap retries.")]
    private partial void LogFailed(Exception ex, Guid tenantId);
}
