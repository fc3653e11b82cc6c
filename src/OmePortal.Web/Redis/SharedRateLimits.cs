using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using OmePortal.Web.Vault;
using RedisRateLimiting;
using StackExchange.Redis;

namespace OmePortal.Web.Redis;

/// <summary>
/// Rate-limit partitions whose counters live in Redis, so a limit holds across all nodes: a client that spreads
/// its requests over two nodes still gets the configured number per window, not twice that. Registered only
/// when Redis is configured (<see cref="Microsoft.Extensions.DependencyInjection.RedisExtensions.AddRedis"/>).
/// </summary>
/// <remarks>
/// A partition key names a client (an address or a /64 prefix): Redis gets a keyed hash of it, never the address,
/// keyed from the master key that every node shares, so the keys say nothing about who used the portal.
/// </remarks>
public sealed class SharedRateLimits(IConnectionMultiplexer redis, MasterKeyHolder master, IOptions<RedisOptions> options, ILogger<SharedRateLimits> logger, TimeProvider time)
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly Lazy<byte[]> _key = new(() => master.Key.DeriveSubkey("omeportal/redis/rate-limit-partition/v1"));
    private long _lastWarningTicks;

    /// <summary>
    /// The partition of <paramref name="client"/> under policy <paramref name="policy"/>: a fixed window of
    /// <paramref name="window"/> with the permits <paramref name="permitLimit"/> gives when the partition is first used,
    /// none queued, counted in Redis (see <see cref="SharedFixedWindowLimiter"/> for what happens when Redis does not answer).
    /// </summary>
    public RateLimitPartition<string> FixedWindow(string policy, string client, Func<int> permitLimit, TimeSpan window) =>
        RateLimitPartition.Get(
            $"{options.Value.InstanceName}:{policy}:{Hash(client)}",
            key => new SharedFixedWindowLimiter(key, permitLimit(), window, redis, this));

    internal string Hash(string client)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(client), mac);
        return Base64Url.EncodeToString(mac[..18]);
    }

    /// <summary>At most one warning a minute: while Redis is away every limited request would otherwise log one.</summary>
    internal void RedisUnavailable(Exception exception)
    {
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastWarningTicks);
        if (now - last < WarningInterval.Ticks || Interlocked.CompareExchange(ref _lastWarningTicks, now, last) != last)
        {
            return;
        }

        logger.LogWarning(
            exception,
            "Redis did not answer a shared rate limit; each node counts its own requests until it answers again ({ExceptionType}).",
            exception.GetType().Name);
    }
}

/// <summary>
/// A fixed-window limit counted in Redis (RedisRateLimiting's <see cref="RedisFixedWindowRateLimiter{TKey}"/>), with this
/// node's own fixed window of the same size beside it for when Redis does not answer.
/// </summary>
/// <remarks>
/// Redis unreachable means falling back to per-node counting with a logged warning, not refusing (503) nor letting
/// everything through. Refusing would turn a cache outage into a sign-in outage for every recipient and admin; no
/// limit at all would open passcode and password guessing while Redis is down. Per-node counters are what a portal
/// without Redis has anyway: the limit still holds per node, at worst N times the configured rate over N nodes, and
/// the passcode and admin lockouts (kept in the database) are unaffected.
/// </remarks>
internal sealed class SharedFixedWindowLimiter : RateLimiter
{
    private readonly RedisFixedWindowRateLimiter<string> _shared;
    private readonly FixedWindowRateLimiter _local;
    private readonly SharedRateLimits _owner;

    public SharedFixedWindowLimiter(string key, int permitLimit, TimeSpan window, IConnectionMultiplexer redis, SharedRateLimits owner)
    {
        _owner = owner;
        _shared = new RedisFixedWindowRateLimiter<string>(key, new RedisFixedWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis,
            PermitLimit = permitLimit,
            Window = window,
        });
        _local = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions { PermitLimit = permitLimit, Window = window, QueueLimit = 0 });
    }

    // Idle (and so removable by the partitioned limiter) only when the fallback counter holds nothing either.
    public override TimeSpan? IdleDuration => _local.IdleDuration is null ? null : _shared.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => null;

    // The counter is in Redis, which cannot be asked synchronously: a failed attempt sends the rate-limiting
    // middleware on to AcquireAsync (as RedisRateLimiting's own limiter does).
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => NotAttempted.Instance;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        try
        {
            return new SharedLease(await _shared.AcquireAsync(permitCount, cancellationToken));
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            _owner.RedisUnavailable(e);
            return await _local.AcquireAsync(permitCount, cancellationToken);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _shared.Dispose();
            _local.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await _shared.DisposeAsync();
        await _local.DisposeAsync();
    }

    /// <summary>
    /// The Redis lease, with its retry-after (whole seconds under RedisRateLimiting's own name) also under
    /// <see cref="MetadataName.RetryAfter"/>, which the portal's 429 answer reads in both modes.
    /// </summary>
    private sealed class SharedLease(RateLimitLease inner) : RateLimitLease
    {
        public override bool IsAcquired => inner.IsAcquired;

        public override IEnumerable<string> MetadataNames => inner.MetadataNames.Append(MetadataName.RetryAfter.Name);

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (metadataName == MetadataName.RetryAfter.Name)
            {
                var found = inner.TryGetMetadata(RateLimitMetadataName.RetryAfter, out var seconds);
                metadata = found ? TimeSpan.FromSeconds(seconds) : null;
                return found;
            }

            return inner.TryGetMetadata(metadataName, out metadata);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class NotAttempted : RateLimitLease
    {
        public static readonly NotAttempted Instance = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
