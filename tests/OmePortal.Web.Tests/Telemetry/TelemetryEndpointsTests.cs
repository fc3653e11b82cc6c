using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Npgsql;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Telemetry;

/// <summary>One portal with the Prometheus endpoint on (loopback only, the default) and JSON logs, shared by the class.</summary>
public abstract class TelemetryEndpointsHost : SharedPortalHost
{
    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["OmePortal:Telemetry:Prometheus:Enabled"] = "true",
        ["OmePortal:Logging:Json"] = "true",
    };

    public sealed class Sqlite : TelemetryEndpointsHost
    {
        protected override StorageKind Storage => StorageKind.Sqlite;
    }

    public sealed class Postgres : TelemetryEndpointsHost
    {
        protected override StorageKind Storage => StorageKind.Postgres;
    }
}

/// <summary><c>/metrics</c> from loopback, and the health endpoints as the blob store or database fail and come back.</summary>
public abstract class TelemetryEndpointsTests(TelemetryEndpointsHost fixture)
{
    protected PortalHost Host => fixture.Host;

    [Fact]
    public async Task Metrics_FromLoopbackAfterIngest_ListsThePortalsMetrics()
    {
        await Host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", $"m.{Guid.NewGuid():N}@example.nl"));
        using var client = Host.CreateHttpClient();
        using var response = await client.GetAsync(TelemetryExtensions.MetricsPath);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("omeportal_messages_accepted_total{", text, StringComparison.Ordinal);
        Assert.Contains("channel=\"rest\"", text, StringComparison.Ordinal);
        Assert.Contains("omeportal_notifications_queue_depth", text, StringComparison.Ordinal);
        Assert.Contains("omeportal_notifications_queue_oldest_age_seconds", text, StringComparison.Ordinal);
        Assert.Contains("omeportal_blob_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("omeportal_db_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_WhenBlobStoreCannotBeWritten_Is503WhileLiveStays200()
    {
        using var client = Host.CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/ready")).StatusCode);

        // A file where the blob folder was: no write can succeed, not even as root.
        var away = Host.BlobDirectory + ".away";
        Directory.Move(Host.BlobDirectory, away);
        await File.WriteAllTextAsync(Host.BlobDirectory, "not a folder");
        try
        {
            using var ready = await client.GetAsync("/healthz/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("unhealthy: blobs", await ready.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);
        }
        finally
        {
            File.Delete(Host.BlobDirectory);
            Directory.Move(away, Host.BlobDirectory);
        }

        using var back = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal("ok", await back.Content.ReadAsStringAsync());
    }

    [Fact]
    public void JsonLogs_WriteNoScopes()
    {
        // Scopes carry ASP.NET Core's request path, and paths carry link tokens (/m/{token}).
        var formatter = Host.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        Assert.False(formatter.IncludeScopes);
        Assert.Equal(ConsoleFormatterNames.Json, Host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }
}

public sealed class TelemetryEndpointsSqliteTests(TelemetryEndpointsHost.Sqlite fixture) : TelemetryEndpointsTests(fixture), IClassFixture<TelemetryEndpointsHost.Sqlite>;

public sealed class TelemetryEndpointsPostgresTests(TelemetryEndpointsHost.Postgres fixture) : TelemetryEndpointsTests(fixture), IClassFixture<TelemetryEndpointsHost.Postgres>
{
    [Fact]
    public async Task Ready_WhenTheDatabaseRefusesConnections_Is503WhileLiveStays200()
    {
        using var client = Host.CreateHttpClient();
        await AllowConnectionsAsync(false);
        try
        {
            using var ready = await client.GetAsync("/healthz/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("database", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/live")).StatusCode);
        }
        finally
        {
            await AllowConnectionsAsync(true);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz/ready")).StatusCode);
    }

    private async Task AllowConnectionsAsync(bool allow)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.PostgresServer);
        await connection.OpenAsync();
        var database = Host.PostgresDatabase!;
        var sql = $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {(allow ? "true" : "false")};"
            + (allow ? string.Empty : $" SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}';");
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary><c>/metrics</c> answers only the allowed networks, judged by the client address behind a known proxy.</summary>
public sealed class MetricsAllowedNetworksTests
{
    [Fact]
    public async Task Metrics_FromOutsideAllowedNetworks_Is404AndFromInside200WithRateLimitRefusals()
    {
        await using var host = await new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?>
        {
            ["OmePortal:Telemetry:Prometheus:Enabled"] = "true",
            ["OmePortal:Telemetry:Prometheus:AllowedNetworks:0"] = "192.0.2.0/24",
            ["OmePortal:Hosting:KnownProxies:0"] = "127.0.0.1",
            ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "1",
        }).StartAsync();
        using var client = host.CreateHttpClient();

        // A refusal by the sign-in limit is counted, and still answered as before (429 with Retry-After).
        (await client.GetAsync("/signin/passkey-offer/dismiss")).Dispose();
        using (var refused = await client.GetAsync("/signin/passkey-offer/dismiss"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        // Loopback itself is not in the list now.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(TelemetryExtensions.MetricsPath)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetForwardedAsync(client, "198.51.100.7")).StatusCode);

        using var allowed = await GetForwardedAsync(client, "192.0.2.7");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var text = await allowed.Content.ReadAsStringAsync();
        Assert.Contains("omeportal_rate_limit_refusals_total{", text, StringComparison.Ordinal);
        Assert.Contains("policy=\"recipient-sign-in\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAnInvalidAllowedNetwork_Fails()
    {
        await using var host = new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?>
        {
            ["OmePortal:Telemetry:Prometheus:Enabled"] = "true",
            ["OmePortal:Telemetry:Prometheus:AllowedNetworks:0"] = "10.0.0.1/8",
        });
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        Assert.Contains("AllowedNetworks", failure.ToString(), StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> GetForwardedAsync(HttpClient client, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, TelemetryExtensions.MetricsPath);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }
}
