using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Redis;

/// <summary>
/// Nodes without a shared Redis count on their own: what several nodes without Redis means (README), and what a node
/// whose Redis does not answer falls back to.
/// </summary>
public sealed class PerNodeLimitsTests
{
    private const int SignInPermitsPerMinute = 30;

    [Fact]
    public async Task WithoutRedis_EachNodeCountsItsOwnSignInRequests()
    {
        await using var a = await new PortalHost(StorageKind.Sqlite).StartAsync();
        await using var b = await new PortalHost(StorageKind.Sqlite).StartAsync();
        using var onA = Browser(a);
        using var onB = Browser(b);

        // One client, sixty requests a minute over two nodes: each node saw thirty, its own limit, and let them in.
        for (var i = 0; i < SignInPermitsPerMinute; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/signin")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/signin")).StatusCode);
        }

        await RateLimitAnswer.AssertRefusedAsync(await onA.GetAsync("/signin"));
    }

    [RedisFact]
    public async Task RedisGoneAtRuntime_NodeKeepsItsOwnSignInLimit_AndWarns()
    {
        // A Redis of this test's own, so it can be stopped under a running node.
        var port = TestEnvironment.FreePort();
        using var redis = Process.Start(new ProcessStartInfo("redis-server", ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"])
        {
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("redis-server did not start.");
        try
        {
            await WaitUntilListeningAsync(port);
            var logs = new ConcurrentQueue<string>();
            await using var host = await new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?>
            {
                ["OmePortal:Redis:Configuration"] = $"127.0.0.1:{port},connectTimeout=1000,asyncTimeout=1000",
            })
            {
                ServiceOverrides = services => services.AddSingleton<ILoggerProvider>(new WarningCollector(logs)),
            }.StartAsync();
            using var client = Browser(host);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin")).StatusCode);

            redis.Kill();
            await redis.WaitForExitAsync();
            var stopped = DateTime.UtcNow;
            for (var i = 1; i < SignInPermitsPerMinute; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin")).StatusCode);
            }

            // The node's own count took over (it had not seen the first request, counted in Redis: one more gets in).
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin")).StatusCode);
            await RateLimitAnswer.AssertRefusedAsync(await client.GetAsync("/signin"));
            // Failing fast: the requests do not each wait out a Redis timeout.
            Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(20), "Requests waited for Redis.");
            Assert.Single(logs, m => m.Contains("Redis did not answer a shared rate limit", StringComparison.Ordinal));
        }
        finally
        {
            if (!redis.HasExited)
            {
                redis.Kill();
            }
        }
    }

    private static async Task WaitUntilListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task InvalidRedisConfiguration_FailsTheStart()
    {
        await using var host = new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?>
        {
            ["OmePortal:Redis:Configuration"] = "127.0.0.1:6379,notAnOption=1",
        });
        var failure = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("OmePortal:Redis:Configuration", failure.ToString(), StringComparison.Ordinal);
    }

    private static HttpClient Browser(PortalHost host)
    {
        var client = host.CreateHttpClient();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        return client;
    }

    private sealed class WarningCollector(ConcurrentQueue<string> messages) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                messages.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
