using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Npgsql;

namespace OmePortal.Testing;

/// <summary>
/// The real portal on real loopback ports (HTTP and SMTP) with its own data directory and database
/// (a fresh SQLite file, or a fresh PostgreSQL database on the throwaway server of ./test.sh).
/// </summary>
public sealed partial class PortalHost : WebApplicationFactory<global::Program>
{
    private readonly Dictionary<string, string?> _settings;

    static PortalHost()
    {
        // Each host's file providers (configuration reload, web root for asp-append-version) would take
        // inotify instances; a parallel test run holds dozens of hosts and hit the per-user limit of 128
        // (start-up failures and 500s on pages). Polling watchers use none.
        Environment.SetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER", "1");
    }
    private string? _postgresDatabase;
    private bool _keepData;

    public PortalHost(StorageKind storage = StorageKind.Sqlite, IDictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        Storage = storage;
        DataDirectory = dataDirectory ?? TestEnvironment.NewTempDirectory("omeportal-test");
        HttpPort = TestEnvironment.FreePort();
        SmtpPort = TestEnvironment.FreePort();
        ApiKey = "omp_test_" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        _settings = new Dictionary<string, string?>
        {
            ["OmePortal:DataDirectory"] = DataDirectory,
            ["OmePortal:PublicBaseUrl"] = BaseUrl,
            ["OmePortal:Bootstrap:ApiKey"] = ApiKey,
            ["OmePortal:Smtp:Port"] = SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OmePortal:Notifications:PollInterval"] = "00:00:00.200",
            ["OmePortal:Notifications:FirstRetryDelay"] = "00:00:00.500",
            ["OmePortal:Notifications:MaxRetryDelay"] = "00:00:02",
        };
        if (storage is StorageKind.Postgres or StorageKind.PostgresAzureBlob)
        {
            _postgresDatabase = "omeportal_test_" + Guid.NewGuid().ToString("N");
            _settings["OmePortal:Database:Provider"] = "Postgres";
            _settings["OmePortal:Database:ConnectionString"] = PostgresConnectionString;
        }

        if (storage == StorageKind.PostgresAzureBlob)
        {
            AzureContainer = TestEnvironment.NewAzureContainerName();
            _settings["OmePortal:Blobs:Provider"] = "AzureBlob";
            _settings["OmePortal:Blobs:AzureBlob:ConnectionString"] = TestEnvironment.AzuriteConnectionString;
            _settings["OmePortal:Blobs:AzureBlob:Container"] = AzureContainer;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        UseKestrel(HttpPort);
    }

    public StorageKind Storage { get; private init; }

    /// <summary>Replaces services before start (e.g. a manual <see cref="TimeProvider"/>).</summary>
    public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? ServiceOverrides { get; init; }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int SmtpPort { get; }

    public string ApiKey { get; private init; }

    public string BaseUrl => $"http://localhost:{HttpPort}";

    public string OutboxDirectory => Path.Combine(DataDirectory, "outbox");

    /// <summary>Where blobs are files (<see cref="StorageKind.Sqlite"/>, <see cref="StorageKind.Postgres"/>); see <see cref="BlobExistsAsync"/> for any store.</summary>
    public string BlobDirectory => Path.Combine(DataDirectory, "blobs");

    /// <summary>The host's own Azure container (<see cref="StorageKind.PostgresAzureBlob"/>), removed with the host; else null.</summary>
    public string? AzureContainer { get; private init; }

    public string? PostgresDatabase => _postgresDatabase;

    public string PostgresConnectionString =>
        new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Database = _postgresDatabase }.ConnectionString;

    /// <summary>Starts Kestrel on the real port and waits until /healthz says ready.</summary>
    public async Task<PortalHost> StartAsync()
    {
        StartServer();
        using var client = CreateHttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("/healthz");
                if (response.IsSuccessStatusCode)
                {
                    return this;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The portal did not become ready.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A plain client for the real port (no cookies handled, redirects not followed).</summary>
    public HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(BaseUrl) };

    public HttpClient CreateApiClient(string? apiKey = null)
    {
        var client = CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? ApiKey);
        return client;
    }

    /// <summary>Waits until the outbox holds at least <paramref name="count"/> .eml files and returns their paths.</summary>
    public async Task<string[]> WaitForOutboxAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var files = Directory.Exists(OutboxDirectory) ? Directory.GetFiles(OutboxDirectory, "*.eml") : [];
            if (files.Length >= count)
            {
                return [.. files.Order(StringComparer.Ordinal)];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} mail(s) in the outbox, found {files.Length}.");
            }

            await Task.Delay(50);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");

        // The factory points the content root at src/OmePortal.Web; the web root ships beside the binaries.
        builder.UseWebRoot(Path.Combine(AppContext.BaseDirectory, "wwwroot"));
        if (ServiceOverrides is { } overrides)
        {
            builder.ConfigureTestServices(overrides);
        }
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Stops the server but keeps its data directory and database, for a restart on the same data.</summary>
    public async Task StopKeepingDataAsync()
    {
        _keepData = true;
        await DisposeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_keepData)
        {
            return;
        }

        if (_postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(TestEnvironment.PostgresServer);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresDatabase}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }

        if (AzureContainer is not null)
        {
            await new Azure.Storage.Blobs.BlobContainerClient(TestEnvironment.AzuriteConnectionString, AzureContainer).DeleteIfExistsAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
