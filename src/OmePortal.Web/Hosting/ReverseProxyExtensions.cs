using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using OmePortal.Web.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Running behind a TLS-terminating reverse proxy (README, "Behind a reverse proxy"): forwarded headers from known
/// proxies only, HSTS, the allowed host names, <c>__Host-</c> cookies, no <c>Server</c> header, and in
/// Development loopback addresses only.
/// </summary>
public static class ReverseProxyExtensions
{
    /// <summary>HSTS max-age: a year, the minimum browsers' preload lists accept.</summary>
    public static readonly TimeSpan HstsMaxAge = TimeSpan.FromDays(365);

    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    public static WebApplicationBuilder AddReverseProxySupport(this WebApplicationBuilder builder)
    {
        var isDevelopment = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.Section)
            .Validate(o => !o.InvalidProxies().Any(), $"{HostingOptions.Section}:KnownProxies must hold IP addresses (e.g. 127.0.0.1).")
            .Validate(o => !o.InvalidNetworks().Any(), $"{HostingOptions.Section}:KnownNetworks must hold networks in CIDR notation (e.g. 10.0.0.0/24).")
            .ValidateOnStart();
        builder.Services.AddOptions<OmePortalOptions>()
            .Validate(o => string.IsNullOrWhiteSpace(o.PublicBaseUrl) || PublicHost(o.PublicBaseUrl) is not null,
                "OmePortal:PublicBaseUrl must be an absolute http or https URL such as https://portal.example.com.")
            .Validate(o => isDevelopment || !string.IsNullOrWhiteSpace(o.PublicBaseUrl),
                "OmePortal:PublicBaseUrl is required outside Development: it is the address in every link the portal mails, and the only host name it answers to.");

        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<HostingOptions>>((o, hosting) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The framework trusts loopback by default; here only what the operator named, so a local
            // process or a proxy that is not configured cannot speak for other clients.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in hosting.Value.KnownProxies)
            {
                if (IPAddress.TryParse(proxy, out var address))
                {
                    o.KnownProxies.Add(address);
                }
            }

            foreach (var network in hosting.Value.KnownNetworks)
            {
                if (System.Net.IPNetwork.TryParse(network, out var parsed))
                {
                    o.KnownIPNetworks.Add(parsed);
                }
            }
        });

        builder.Services.AddHsts(o =>
        {
            o.MaxAge = HstsMaxAge;
            o.IncludeSubDomains = true;
        });

        // Host names: the public one (plus loopback names in Development, for the developer and the tests).
        builder.Services.AddOptions<HostFilteringOptions>().Configure<Microsoft.Extensions.Options.IOptions<OmePortalOptions>, Microsoft.Extensions.Options.IOptions<HostingOptions>>((o, portal, hosting) =>
        {
            if (PublicHost(portal.Value.PublicBaseUrl) is not { } host)
            {
                return;
            }

            o.AllowedHosts = [host, .. hosting.Value.AllowedHosts, .. isDevelopment ? LoopbackHosts : []];
            o.AllowEmptyHosts = false;
        });

        // Secure always, like the portal's other cookies; the framework's SecurePolicy.Always would instead refuse
        // every request over plain http, and Development and the tests run on http://localhost.
        builder.Services.Configure<AntiforgeryOptions>(o => o.Cookie = new AlwaysSecureCookieBuilder
        {
            Name = "__Host-omeportal-antiforgery",
            Path = "/",
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            IsEssential = true,
        });
        builder.Services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(o => o.Cookie = new AlwaysSecureCookieBuilder
        {
            Name = "__Host-omeportal-tempdata",
            Path = "/",
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            IsEssential = true,
        });

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (isDevelopment)
            {
                kestrel.ConfigureEndpointDefaults(listen =>
                {
                    if (listen.EndPoint is IPEndPoint endpoint && !IPAddress.IsLoopback(endpoint.Address))
                    {
                        throw new InvalidOperationException(
                            $"Refusing to listen on {listen}: in Development the portal answers on loopback addresses only (its conveniences, such as /dev/outbox and the default master key file, are not for a network). " +
                            "Listen on localhost or 127.0.0.1, or run with ASPNETCORE_ENVIRONMENT=Production (README, \"Behind a reverse proxy\").");
                    }
                });
            }
        });
        return builder;
    }

    /// <summary>The host name of an absolute http(s) URL, or null when the value is not one.</summary>
    public static string? PublicHost(string? publicBaseUrl) =>
        Uri.TryCreate(publicBaseUrl?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && uri.Host.Length > 0
            ? (uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.IdnHost)
            : null;

    /// <summary>A cookie that is always <c>Secure</c>, as a <c>__Host-</c> name requires.</summary>
    private sealed class AlwaysSecureCookieBuilder : CookieBuilder
    {
        public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
        {
            var options = base.Build(context, expiresFrom);
            options.Secure = true;
            return options;
        }
    }
}
