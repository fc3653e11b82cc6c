using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace OmePortal.Web.Smtp;

/// <summary>The networks whose SMTP sessions may submit without authenticating (the IP-based connector).</summary>
public sealed class NetworkAllowList
{
    private readonly IPNetwork[] _networks;

    private NetworkAllowList(IPNetwork[] networks) => _networks = networks;

    public IReadOnlyList<IPNetwork> Networks => _networks;

    /// <summary>Parses CIDR ranges ("10.0.0.0/8", "2001:db8::/32") and single addresses ("192.0.2.7").</summary>
    public static bool TryParse(IEnumerable<string> entries, [NotNullWhen(true)] out NetworkAllowList? list, [NotNullWhen(false)] out string? error)
    {
        var networks = new List<IPNetwork>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry.Contains('/', StringComparison.Ordinal))
            {
                // Strict: "10.0.0.1/8" is refused rather than silently widened to 10.0.0.0/8.
                var slash = entry.IndexOf('/', StringComparison.Ordinal);
                if (!IPNetwork.TryParse(entry, out var network)
                    || !IPAddress.TryParse(entry.AsSpan(0, slash), out var written)
                    || !written.Equals(network.BaseAddress))
                {
                    list = null;
                    error = $"'{entry}' is not a CIDR range (the host bits must be zero, e.g. 10.1.0.0/16).";
                    return false;
                }

                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                address = Normalize(address);
                networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                list = null;
                error = $"'{entry}' is neither an IP address nor a CIDR range.";
                return false;
            }
        }

        list = new NetworkAllowList([.. networks]);
        error = null;
        return true;
    }

    public static NetworkAllowList Parse(IEnumerable<string> entries) =>
        TryParse(entries, out var list, out var error) ? list : throw new FormatException(error);

    public bool Contains(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        address = Normalize(address);
        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; compare them as IPv4.</summary>
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
