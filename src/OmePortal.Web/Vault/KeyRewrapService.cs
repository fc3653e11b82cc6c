using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Vault;

/// <summary>
/// After a tenant key rotation, re-wraps message keys with the new version in small batches and then
/// retires versions no message uses. Runs at start and every few minutes; cheap when there is nothing to do.
/// </summary>
public sealed partial class KeyRewrapService(IServiceScopeFactory scopes, Readiness readiness, ILogger<KeyRewrapService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!readiness.IsReady && !stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(200, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RewrapAllAsync(scopes, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(ex);
            }

            await Task.Delay(Interval, stoppingToken);
        }
    }

    /// <summary>Re-wraps every tenant until nothing is left; returns the number of message keys re-wrapped.</summary>
    public static async Task<int> RewrapAllAsync(IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        List<Guid> tenants;
        await using (var scope = scopes.CreateAsyncScope())
        {
            tenants = await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().Tenants.Select(t => t.Id).ToListAsync(cancellationToken);
        }

        var total = 0;
        foreach (var tenant in tenants)
        {
            int done;
            do
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
                done = await scope.ServiceProvider.GetRequiredService<MessageVault>().RewrapAsync(db, tenant, 500, cancellationToken);
                total += done;
            }
            while (done > 0);
        }

        return total;
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Re-wrapping message keys failed; will retry.")]
    private partial void LogFailed(Exception ex);
}
