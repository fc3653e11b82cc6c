using System.Net;
using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>
/// Development stays on the developer's machine (issue 19, item 10): <c>/dev/outbox</c> (which shows
/// passcodes) answers loopback clients only, judged after the forwarded-headers step, and the portal
/// refuses to start in Development on a non-loopback address.
/// </summary>
public sealed class DevelopmentLoopbackTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DevOutbox_AnswersLoopback_RefusesAClientForwardedByAProxy()
    {
        // The test client plays the trusted proxy (127.0.0.1) for a client elsewhere.
        await using var host = await new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?>
        {
            ["OmePortal:Hosting:KnownProxies:0"] = "127.0.0.1",
        }).StartAsync();
        using var client = host.CreateHttpClient();

        using var local = await client.GetAsync("/dev/outbox");
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);

        foreach (var path in new[] { "/dev/outbox", "/dev/outbox/x.eml/raw", "/DEV/OUTBOX" })
        {
            using var forwarded = new HttpRequestMessage(HttpMethod.Get, path);
            forwarded.Headers.Add("X-Forwarded-For", "203.0.113.9");
            using var refused = await client.SendAsync(forwarded);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        // A loopback client forwarded by the proxy is still the developer.
        using var loopback = new HttpRequestMessage(HttpMethod.Get, "/dev/outbox");
        loopback.Headers.Add("X-Forwarded-For", "127.0.0.1");
        using var allowed = await client.SendAsync(loopback);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Theory]
    [InlineData("http://0.0.0.0:{0}")]
    public async Task Development_OnANonLoopbackAddress_RefusesToStart(string urlPattern)
    {
        var data = TestEnvironment.NewTempDirectory("omeportal-devbind");
        var port = TestEnvironment.FreePort();
        using var portal = new PortalProcess(data, port, TestEnvironment.FreePort(), "omp_test_" + Guid.NewGuid().ToString("N"), data);
        portal.Settings["ASPNETCORE_ENVIRONMENT"] = "Development";
        portal.Settings["DOTNET_ENVIRONMENT"] = "Development";
        portal.Settings["ASPNETCORE_URLS"] = string.Format(System.Globalization.CultureInfo.InvariantCulture, urlPattern, port);
        portal.Start();
        try
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => portal.WaitReadyAsync(TimeSpan.FromSeconds(120)));
            Assert.Contains("in Development the portal answers on loopback addresses only", portal.Log, StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(portal.Log);
            throw;
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Development_OnLoopback_Starts()
    {
        var data = TestEnvironment.NewTempDirectory("omeportal-devbind");
        var port = TestEnvironment.FreePort();
        using var portal = new PortalProcess(data, port, TestEnvironment.FreePort(), "omp_test_" + Guid.NewGuid().ToString("N"), data);
        portal.Settings["ASPNETCORE_ENVIRONMENT"] = "Development";
        portal.Settings["DOTNET_ENVIRONMENT"] = "Development";
        portal.Start();
        try
        {
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
        }
        catch
        {
            output.WriteLine(portal.Log);
            throw;
        }
        finally
        {
            await portal.StopAsync(TimeSpan.FromSeconds(10));
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void PartitionKey_GroupsIPv6By64(string address, string expected) =>
        Assert.Equal(expected, OmePortal.Web.Hosting.ClientAddress.PartitionKey(IPAddress.Parse(address)));
}
