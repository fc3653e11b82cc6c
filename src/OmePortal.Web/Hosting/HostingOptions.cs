using System.Net;

namespace OmePortal.Web.Hosting;

/// <summary>
/// Section <c>OmePortal:Hosting</c>: the reverse proxy in front of the portal. Forwarded headers
/// (<c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c>) are believed only from these addresses; with
/// none configured they are ignored, so a client talking to the portal directly cannot pick its own
/// address (its rate-limit bucket) or scheme.
/// </summary>
public sealed class HostingOptions
{
    public const string Section = "OmePortal:Hosting";

    /// <summary>Addresses of the reverse proxies (e.g. <c>127.0.0.1</c> when nginx runs on the same host).</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of the reverse proxies in CIDR notation (e.g. <c>10.0.0.0/24</c>).</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>
    /// Host names accepted besides the one of <c>OmePortal:PublicBaseUrl</c> (e.g. <c>127.0.0.1</c> for a local
    /// health check). Any other <c>Host</c> is answered with 400.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>The entries of <see cref="KnownProxies"/> that are not IP addresses (empty when all are valid).</summary>
    public IEnumerable<string> InvalidProxies() => KnownProxies.Where(p => !IPAddress.TryParse(p, out _));

    /// <summary>The entries of <see cref="KnownNetworks"/> that are not CIDR networks (empty when all are valid).</summary>
    public IEnumerable<string> InvalidNetworks() => KnownNetworks.Where(n => !IPNetwork.TryParse(n, out _));
}
