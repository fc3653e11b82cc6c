using System.Net;
using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>
/// The portal behind a real TLS-terminating nginx (issue 19, item 1): clients get their own rate-limit
/// buckets by their real address, a client talking to the portal directly cannot choose its bucket with
/// <c>X-Forwarded-For</c>, HTTPS answers carry HSTS, foreign host names are refused, cookies are
/// <c>__Host-</c>, and no <c>Server</c> header.
/// Every test uses its own client addresses, since the buckets live for a minute in the shared portal.
/// </summary>
public sealed class ReverseProxyTests(NginxFrontedPortal proxy, ITestOutputHelper output) : IClassFixture<NginxFrontedPortal>
{
    [Fact]
    public Task ClientsBehindTheProxy_GetSeparateRateLimitBuckets() => WithLogs(async () =>
    {
        using var first = proxy.CreateProxiedClient(IPAddress.Parse("127.0.0.2"));
        using var second = proxy.CreateProxiedClient(IPAddress.Parse("127.0.0.3"));
        for (var i = 0; i < proxy.PermitPerMinute; i++)
        {
            using var allowed = await first.GetAsync("/signin");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var limited = await first.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);

        // Before forwarded headers were honoured, every client was nginx's address and shared this bucket.
        using var other = await second.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    });

    [Fact]
    public Task OpenIdConnect_RedirectUri_IsThePublicHttpsOne() => WithLogs(async () =>
    {
        using var client = proxy.CreateProxiedClient(IPAddress.Parse("127.0.0.10"));
        using var page = await client.GetAsync("/signin");
        var html = await page.Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        var antiforgeryCookie = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-omeportal-antiforgery=", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/signin/external/{NginxFrontedPortal.ProviderName}")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }),
        };
        request.Headers.Add("Cookie", antiforgeryCookie);
        using var start = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.Equal(new Uri(proxy.Idp.Issuer).Authority, authorize.Authority);
        var redirectUri = System.Web.HttpUtility.ParseQueryString(authorize.Query)["redirect_uri"];
        Assert.NotNull(redirectUri);
        Assert.StartsWith($"{proxy.PublicBaseUrl}/", redirectUri, StringComparison.Ordinal);

        // The correlation and nonce cookies go out Secure, as over https they can.
        Assert.All(start.Headers.GetValues("Set-Cookie"), c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
    });


    [Fact]
    public Task DirectClient_ForgedForwardedFor_DoesNotChangeItsBucket() => WithLogs(async () =>
    {
        using var direct = proxy.CreateDirectClient(IPAddress.Parse("127.0.0.4"));
        for (var i = 0; i <= proxy.PermitPerMinute; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/signin");
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            request.Headers.Add("X-Forwarded-Proto", "https");
            using var response = await direct.SendAsync(request);
            Assert.Equal(i < proxy.PermitPerMinute ? HttpStatusCode.OK : HttpStatusCode.TooManyRequests, response.StatusCode);

            // Nor does a forged X-Forwarded-Proto make plain http look like https.
            Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        }
    });

    [Fact]
    public Task Https_SendsHstsForAYearWithSubdomains() => WithLogs(async () =>
    {
        using var client = proxy.CreateProxiedClient(IPAddress.Parse("127.0.0.5"));
        using var response = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hsts = Assert.Single(response.Headers.GetValues("Strict-Transport-Security"));
        var maxAge = long.Parse(hsts.Split(';')[0].Trim()["max-age=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(maxAge >= 365 * 24 * 3600, hsts);
        Assert.Contains("includeSubDomains", hsts, StringComparison.Ordinal);
    });

    [Fact]
    public Task Portal_SendsNoServerHeader() => WithLogs(async () =>
    {
        // Directly: nginx adds its own Server header, which the operator controls with server_tokens.
        using var direct = proxy.CreateDirectClient(IPAddress.Parse("127.0.0.6"));
        using var response = await direct.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Server"));
    });

    [Fact]
    public Task ForeignHost_Gets400() => WithLogs(async () =>
    {
        using var client = proxy.CreateProxiedClient(IPAddress.Parse("127.0.0.7"));
        using var foreign = new HttpRequestMessage(HttpMethod.Get, "/signin");
        foreign.Headers.Host = "evil.example";
        using var refused = await client.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        using var direct = proxy.CreateDirectClient(IPAddress.Parse("127.0.0.7"));
        using var localhost = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        localhost.Headers.Host = "localhost";
        using var notListed = await direct.SendAsync(localhost);
        Assert.Equal(HttpStatusCode.BadRequest, notListed.StatusCode);

        using var own = await client.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    });

    [Fact]
    public Task AntiforgeryCookie_IsHostPrefixedAndSecure() => WithLogs(async () =>
    {
        using var client = proxy.CreateProxiedClient(IPAddress.Parse("127.0.0.8"));
        using var page = await client.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"), c => c.Contains("antiforgery", StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("__Host-", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
    });

    private async Task WithLogs(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            output.WriteLine("---- portal ----");
            output.WriteLine(proxy.Portal.Log);
            output.WriteLine("---- nginx error.log ----");
            output.WriteLine(proxy.ErrorLog());
            throw;
        }
    }
}
