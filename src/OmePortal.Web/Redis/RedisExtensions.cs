using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using OmePortal.Web.Redis;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

public static class RedisExtensions
{
    /// <summary>
    /// With <c>OmePortal:Redis:Configuration</c> set: one <see cref="IConnectionMultiplexer"/> for the process (readiness
    /// checks may ask it too), rate-limit counters shared by all nodes (<see cref="SharedRateLimits"/>) and a Redis
    /// <see cref="Caching.Distributed.IDistributedCache"/>. Without it: an in-memory cache and each node's own counters.
    /// </summary>
    public static WebApplicationBuilder AddRedis(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{RedisOptions.Section}:{nameof(RedisOptions.Configuration)}"]))
        {
            // No size limit: the drafts are bounded per tenant (BrandPreviewDrafts), and a shared limit would let one
            // tenant's drafts push out another's.
            builder.Services.AddDistributedMemoryCache(o => o.SizeLimit = null);
            return builder;
        }

        builder.Services.AddSingleton<IConnectionMultiplexer>(services => Connect(services.GetRequiredService<IOptions<RedisOptions>>().Value));
        builder.Services.AddHostedService<RedisConnectAtStart>();
        builder.Services.AddSingleton<SharedRateLimits>();
        builder.Services.AddStackExchangeRedisCache(_ => { });
        builder.Services.AddOptions<RedisCacheOptions>().Configure<IConnectionMultiplexer, IOptions<RedisOptions>>((cache, redis, options) =>
        {
            cache.ConnectionMultiplexerFactory = () => Task.FromResult(redis);
            cache.InstanceName = options.Value.InstanceName + ":";
        });
        return builder;
    }

    private static ConnectionMultiplexer Connect(RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.Configuration!);
        // A node starts (and keeps serving) while Redis is away and reconnects in the background: Redis holds only
        // short-lived state, so its absence must not take the portal down with it.
        configuration.AbortOnConnectFail = false;
        // Without Redis a command fails at once instead of waiting in a backlog: a sign-in request must not hang
        // for the command timeout before the rate limiter falls back to this node's counters (SharedRateLimits).
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= options.InstanceName;
        return ConnectionMultiplexer.Connect(configuration);
    }
}
