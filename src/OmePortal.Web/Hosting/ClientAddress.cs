using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using OmePortal.Web.Redis;

namespace OmePortal.Web.Hosting;

/// <summary>
/// The client address that per-client limits count against: the connection's remote address after the
/// forwarded-headers step (so behind a known proxy it is the real client, and a direct client's own
/// <c>X-Forwarded-For</c> changes nothing).
/// </summary>
public static class ClientAddress
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The rate-limit partition of a request: the IPv4 address, or the /64 prefix of an IPv6 address,
    /// because one IPv6 subscriber usually holds a whole /64 and could otherwise use a fresh address per request.
    /// </summary>
    public static string PartitionKey(HttpContext context) => PartitionKey(context.Connection.RemoteIpAddress);

    /// <summary>
    /// Adds rate-limit policy <paramref name="name"/>: each client (<see cref="PartitionKey(HttpContext)"/>) gets
    /// <paramref name="permitsPerMinute"/> requests in a fixed minute, none queued; the rest get 429.
    /// </summary>
    /// <remarks>
    /// With Redis configured the count is shared by every node (<see cref="SharedRateLimits"/>); without it each node
    /// counts on its own. The limit, the window and the 429 answer are the same either way.
    /// </remarks>
    public static RateLimiterOptions AddPerClientPerMinutePolicy(this RateLimiterOptions options, string name, Func<HttpContext, int> permitsPerMinute) =>
        options.AddPolicy(name, context => context.RequestServices.GetService<SharedRateLimits>() is { } shared
            ? shared.FixedWindow(name, PartitionKey(context), () => permitsPerMinute(context), Window)
            : RateLimitPartition.GetFixedWindowLimiter(
                PartitionKey(context),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = permitsPerMinute(context), Window = Window, QueueLimit = 0 }));

    public static string PartitionKey(IPAddress? address) => ClientOf(address) switch
    {
        null => "unknown",
        { AddressFamily: AddressFamily.InterNetworkV6 } prefix => prefix + "/64",
        var client => client.ToString(),
    };

    /// <summary>
    /// The address a client is counted under (HTTP rate limits and the SMTP gateway's caps alike): IPv4
    /// as it is (also when mapped into IPv6), IPv6 by its /64 with the host half cleared; null when unknown.
    /// </summary>
    public static IPAddress? ClientOf(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
