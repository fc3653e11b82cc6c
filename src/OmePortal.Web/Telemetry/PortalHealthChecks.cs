using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OmePortal.Data;
using OmePortal.Web.Hosting;
using OmePortal.Web.Smtp;
using OmePortal.Web.Storage;
using StackExchange.Redis;

namespace OmePortal.Web.Telemetry;

/// <summary>Tags of the health checks: <c>/healthz/ready</c> (and <c>/healthz</c>) runs those tagged <see cref="Ready"/>; <c>/healthz/live</c> runs none.</summary>
public static class HealthTags
{
    public const string Ready = "ready";
}

/// <summary>Start-up work (migrations, keys, bootstrap, listeners) is done: what <c>/healthz</c> always reported.</summary>
internal sealed class StartupHealthCheck(Readiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.IsReady ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("starting"));
}

/// <summary>One round trip to the database (a new connection where the provider pools none).</summary>
internal sealed class DatabaseHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The exception's type only: a driver's message may carry a connection string.
            return HealthCheckResult.Unhealthy(exception.GetType().Name);
        }
    }
}

/// <summary>
/// Writes and removes a one-byte blob under <c>health/</c>: what intake needs is to write, and a store that
/// lists or reads fine may still refuse writes (a full disk, a read-only mount, a revoked credential).
/// </summary>
internal sealed class BlobStoreHealthCheck(IBlobStore blobs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var name = $"health/probe-{Guid.NewGuid():N}";
        try
        {
            await blobs.WriteAsync(name, (stream, ct) => stream.WriteAsync(new byte[] { 0 }, ct).AsTask(), cancellationToken);
            await blobs.DeleteAsync(name, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(exception.GetType().Name);
        }
    }
}

/// <summary>Redis answers a PING, when the portal uses Redis (an <see cref="IConnectionMultiplexer"/> is registered); else nothing to check.</summary>
internal sealed class RedisHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<IConnectionMultiplexer>() is not { } redis)
        {
            return HealthCheckResult.Healthy("not configured");
        }

        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(exception.GetType().Name);
        }
    }
}

/// <summary>The SMTP listener still accepts connections, when it is enabled (start-up waits for it; this notices it stopping later).</summary>
internal sealed class SmtpListenerHealthCheck(SmtpGatewayService gateway, Microsoft.Extensions.Options.IOptions<SmtpGatewayOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!options.Value.Enabled || gateway.IsListening
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("not listening"));
}
