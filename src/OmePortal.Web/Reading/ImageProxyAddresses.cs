using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OmePortal.Web.Reading;

/// <summary>
/// Which addresses the image proxy may connect to: public unicast only. Everything that reaches this
/// machine, the portal's own network or a cloud metadata service (loopback, private, shared/CGNAT,
/// link-local, multicast, reserved, documentation, IPv6 unique-local and link-local) is refused, and an
/// IPv4 address wrapped in IPv6 (mapped, NAT64, 6to4) is judged by the IPv4 address inside it.
/// </summary>
/// <remarks>
/// IPv6 is an allow-list (global unicast <c>2000::/3</c> minus the special blocks inside it), so a
/// range added to the special registry later does not slip through as "not listed".
/// </remarks>
public static class ImageProxyAddresses
{
    /// <summary>(network, prefix length) of IPv4 ranges that are not public unicast.</summary>
    private static readonly (uint Network, int Prefix)[] RefusedV4 =
    [
        (V4(0, 0, 0, 0), 8),         // "this network"
        (V4(10, 0, 0, 0), 8),        // private
        (V4(100, 64, 0, 0), 10),     // shared address space (CGNAT)
        (V4(127, 0, 0, 0), 8),       // loopback
        (V4(169, 254, 0, 0), 16),    // link-local (cloud metadata lives here)
        (V4(172, 16, 0, 0), 12),     // private
        (V4(192, 0, 0, 0), 24),      // IETF protocol assignments
        (V4(192, 0, 2, 0), 24),      // documentation
        (V4(192, 88, 99, 0), 24),    // 6to4 relay anycast
        (V4(192, 168, 0, 0), 16),    // private
        (V4(198, 18, 0, 0), 15),     // benchmarking
        (V4(198, 51, 100, 0), 24),   // documentation
        (V4(203, 0, 113, 0), 24),    // documentation
        (V4(224, 0, 0, 0), 4),       // multicast
        (V4(240, 0, 0, 0), 4),       // reserved, broadcast
    ];

    /// <summary>True when the proxy may connect to <paramref name="address"/>.</summary>
    /// <param name="allowLoopback">The test seam (<see cref="ImageProxyOptions.AllowLoopbackTargets"/>): loopback, and nothing else private, is allowed.</param>
    public static bool IsAllowed(IPAddress address, bool allowLoopback = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (allowLoopback && IPAddress.IsLoopback(address))
        {
            return true;
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(address),
            AddressFamily.InterNetworkV6 => IsPublicV6(address, allowLoopback),
            _ => false,
        };
    }

    private static bool IsPublicV4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return IsPublicV4(BinaryPrimitives.ReadUInt32BigEndian(bytes));
    }

    private static bool IsPublicV4(uint value)
    {
        foreach (var (network, prefix) in RefusedV4)
        {
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            if ((value & mask) == network)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPublicV6(IPAddress address, bool allowLoopback)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);

        // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits: judged by that address.
        if (b[..12].SequenceEqual((ReadOnlySpan<byte>)[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]))
        {
            var embedded = new IPAddress(b[12..]);
            return (allowLoopback && IPAddress.IsLoopback(embedded)) || IsPublicV4(BinaryPrimitives.ReadUInt32BigEndian(b[12..]));
        }

        // Everything outside global unicast 2000::/3: unspecified, loopback, IPv4-compatible, discard,
        // unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8, ...
        if ((b[0] & 0xe0) != 0x20)
        {
            return false;
        }

        var first = BinaryPrimitives.ReadUInt16BigEndian(b);
        var second = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
        return first switch
        {
            // 2001::/23: IETF protocol assignments (Teredo, ORCHID, ...); 2001:db8::/32: documentation.
            0x2001 => second > 0x01ff && second != 0x0db8,

            // 6to4 carries an IPv4 address in bits 16-48.
            0x2002 => IsPublicV4(BinaryPrimitives.ReadUInt32BigEndian(b[2..6])),

            // 3fff::/20: documentation.
            0x3fff when (second & 0xf000) == 0 => false,
            _ => true,
        };
    }

    private static uint V4(byte a, byte b, byte c, byte d) => ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;
}
