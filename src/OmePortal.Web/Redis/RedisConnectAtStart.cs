using StackExchange.Redis;

namespace OmePortal.Web.Redis;

/// <summary>
/// Connects while the node starts, not on the first request that needs Redis: with Redis away, that request
/// would otherwise wait out the connect timeout.
/// </summary>
internal sealed class RedisConnectAtStart(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<IConnectionMultiplexer>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
