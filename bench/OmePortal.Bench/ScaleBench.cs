using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using OmePortal.Testing;

namespace OmePortal.Bench;

/// <summary>
/// (issue 21) REST ingest and reading on the shared engines (PostgreSQL + Azure Blob Storage in
/// Azurite + Redis), one node against two nodes on this machine, beside one embedded node (SQLite +
/// files) as the baseline. On two cores two nodes cannot be faster than one: what the run shows is
/// the cost per request of going through the shared engines, read from one client alone (no queueing),
/// which is what carries over to a machine with cores to spare.
/// </summary>
public static class ScaleBench
{
    public static async Task RunAsync(Report report, BenchOptions options)
    {
        var postgres = Environment.GetEnvironmentVariable("OMEPORTAL_BENCH_POSTGRES")
            ?? throw new InvalidOperationException("OMEPORTAL_BENCH_POSTGRES is not set (bench/run.sh scale starts PostgreSQL, Azurite and Redis).");
        var azurite = Environment.GetEnvironmentVariable("OMEPORTAL_BENCH_AZURITE")
            ?? throw new InvalidOperationException("OMEPORTAL_BENCH_AZURITE is not set.");
        var redis = Environment.GetEnvironmentVariable("OMEPORTAL_BENCH_REDIS")
            ?? throw new InvalidOperationException("OMEPORTAL_BENCH_REDIS is not set.");

        var results = new List<Row>
        {
            await MeasureAsync("1 node, embedded (SQLite + files)", options, nodes: 1, engines: null),
        };

        // Each setup on a database and container of its own, so one does not run on another's rows. PostgreSQL with
        // local files separates the database's part of the overhead from the blob store's.
        var setups = new (string Name, int Nodes, bool AzureBlob)[]
        {
            ("1 node, PostgreSQL + files + Redis", 1, false),
            ("1 node, shared engines (PostgreSQL + Azurite + Redis)", 1, true),
            ("2 nodes, shared engines, clients split between them", 2, true),
        };
        foreach (var (name, nodes, azureBlob) in setups)
        {
            var database = "bench_" + Guid.NewGuid().ToString("N")[..12];
            await ExecuteAsync(postgres, $"CREATE DATABASE \"{database}\"");
            try
            {
                var shared = new Dictionary<string, string>
                {
                    ["OmePortal__Database__Provider"] = "Postgres",
                    ["OmePortal__Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString,
                    ["OmePortal__Redis__Configuration"] = redis,
                    ["OmePortal__Vault__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                };
                if (azureBlob)
                {
                    shared["OmePortal__Blobs__Provider"] = "AzureBlob";
                    shared["OmePortal__Blobs__AzureBlob__ConnectionString"] = azurite;
                    shared["OmePortal__Blobs__AzureBlob__Container"] = database.Replace('_', '-');
                }

                results.Add(await MeasureAsync(name, options, nodes, shared));
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                await ExecuteAsync(postgres, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
            }
        }

        report.Line("## Several nodes: REST ingest and reading on the shared engines");
        report.Line();
        report.Line($"REST: 20 KB messages, {options.Concurrency} clients, {options.Duration.TotalSeconds:F0} s. Reading: a 50 KB HTML message (page and body frame alternately) " +
                    $"signed in on the first node, wrk 64 connections in all, {options.Duration.TotalSeconds:F0} s. \"Alone\" is one client: the time of one request without queueing.");
        report.Line();
        report.Line("| setup | REST msg/s | REST p50 | REST p99 | REST alone p50 | reading req/s | reading p99 | reading alone p50 |");
        report.Line("|---|---|---|---|---|---|---|---|");
        foreach (var row in results)
        {
            report.Line($"| {row.Setup} | {row.Rest.Rate:F0} | {row.Rest.P50:F1} ms | {row.Rest.P99:F1} ms | {row.RestAlone.P50:F1} ms | {row.ReadRate:F0} | {row.ReadP99:F1} ms | {row.ReadAloneP50:F2} ms |");
        }

        report.Line();
        var (embedded, onDatabase, onShared) = (results[0], results[1], results[2]);
        report.Line($"Cost per request of the shared engines, one client alone: REST ingest {onShared.RestAlone.P50 - embedded.RestAlone.P50:+0.0;-0.0} ms " +
                    $"(PostgreSQL and Redis {onDatabase.RestAlone.P50 - embedded.RestAlone.P50:+0.0;-0.0} ms, Azure Blob {onShared.RestAlone.P50 - onDatabase.RestAlone.P50:+0.0;-0.0} ms), " +
                    $"reading {onShared.ReadAloneP50 - embedded.ReadAloneP50:+0.00;-0.00} ms " +
                    $"(PostgreSQL and Redis {onDatabase.ReadAloneP50 - embedded.ReadAloneP50:+0.00;-0.00} ms, Azure Blob {onShared.ReadAloneP50 - onDatabase.ReadAloneP50:+0.00;-0.00} ms).");
        report.Line();
    }

    private sealed record Rates(double Rate, double P50, double P99);

    private sealed record Row(string Setup, Rates Rest, Rates RestAlone, double ReadRate, double ReadP99, double ReadAloneP50);

    private static async Task<Row> MeasureAsync(string setup, BenchOptions options, int nodes, Dictionary<string, string>? engines)
    {
        Console.Error.WriteLine($"[scale] {setup}");
        var apiKey = "omp_bench_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        var portals = new List<PortalProcess>();
        try
        {
            // One after the other: the first node migrates and bootstraps the database, the second finds it ready.
            for (var i = 0; i < nodes; i++)
            {
                portals.Add(await PortalProcess.StartAsync(options.WebDll!, engines, apiKey));
            }

            var clients = portals.Select(p => NewApiClient(p, options.Concurrency)).ToList();
            var rest = await RestAsync(clients, options.Concurrency, options.Duration);
            var restAlone = await RestAsync(clients.Take(1).ToList(), 1, TimeSpan.FromSeconds(Math.Max(3, options.Duration.TotalSeconds / 3)));

            var (id, cookie) = await SignedInReaderAsync(portals[0], clients[0]);
            var script = await ReadBench.PageAndBodyScriptAsync(id);
            try
            {
                var seconds = (int)options.Duration.TotalSeconds;
                var connections = 64 / portals.Count;
                await Task.WhenAll(portals.Select(p => ReadBench.WrkAsync($"-t1 -c{connections} -d{Math.Max(5, seconds / 2)}s -H \"Cookie: {cookie}\" -s {script} {p.BaseUrl}/")));
                var reads = await Task.WhenAll(portals.Select(p => ReadBench.WrkAsync($"-t{(portals.Count == 1 ? 2 : 1)} -c{connections} -d{seconds}s --latency -H \"Cookie: {cookie}\" -s {script} {p.BaseUrl}/")));
                var alone = await ReadBench.WrkAsync($"-t1 -c1 -d{Math.Max(3, seconds / 3)}s --latency -H \"Cookie: {cookie}\" -s {script} {portals[^1].BaseUrl}/");
                var failed = reads.Sum(r => r.Non2xx) + alone.Non2xx;
                if (failed > 0)
                {
                    throw new InvalidOperationException($"{failed} reading requests did not answer 2xx ({setup}).");
                }

                foreach (var client in clients)
                {
                    client.Dispose();
                }

                return new Row(setup, rest, restAlone, reads.Sum(r => r.Rps), reads.Max(r => ReadBench.Milliseconds(r.P99)), ReadBench.Milliseconds(alone.P50));
            }
            finally
            {
                File.Delete(script);
            }
        }
        finally
        {
            foreach (var portal in portals)
            {
                await portal.DisposeAsync();
            }
        }
    }

    private static HttpClient NewApiClient(PortalProcess portal, int concurrency)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(portal.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", portal.ApiKey);
        return client;
    }

    /// <summary>REST ingest with <paramref name="concurrency"/> clients, spread round-robin over the nodes; after a 3 s warm-up.</summary>
    private static async Task<Rates> RestAsync(IReadOnlyList<HttpClient> nodes, int concurrency, TimeSpan duration)
    {
        var messages = Enumerable.Range(0, 64).Select(BenchMessages.Twenty).ToArray();
        var failures = 0L;
        string? firstFailure = null;

        async Task<bool> PostAsync(int client, int i)
        {
            var content = new ByteArrayContent(messages[i % messages.Length]);
            content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            using var response = await nodes[client % nodes.Count].PostAsync("/api/v1/messages", content);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                firstFailure ??= $"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri?.Authority}: {await response.Content.ReadAsStringAsync()}";
                return false;
            }

            return true;
        }

        async Task<List<double>> DriveAsync(TimeSpan length)
        {
            var latencies = new List<double>[concurrency];
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
            {
                latencies[w] = [];
                var i = w;
                while (watch.Elapsed < length)
                {
                    var started = Stopwatch.GetTimestamp();
                    if (!await PostAsync(w, i))
                    {
                        Interlocked.Increment(ref failures);
                    }

                    latencies[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    i += concurrency;
                }
            }));
            return latencies.SelectMany(l => l).ToList();
        }

        await DriveAsync(TimeSpan.FromSeconds(3));
        failures = 0;
        var measured = await DriveAsync(duration);
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} REST ingests did not answer 201; the first: {firstFailure}");
        }

        return new Rates(measured.Count / duration.TotalSeconds, IngestBench.Percentile(measured, 0.50), IngestBench.Percentile(measured, 0.99));
    }

    /// <summary>Ingests a 50 KB HTML message and signs its recipient in on <paramref name="portal"/>; the session cookie works on every node.</summary>
    private static async Task<(Guid Id, string Cookie)> SignedInReaderAsync(PortalProcess portal, HttpClient api)
    {
        var content = new ByteArrayContent(ReadBench.FiftyKilobyteHtml());
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        using var created = await api.PostAsync("/api/v1/messages", content);
        var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var id = json.GetProperty("id").GetGuid();
        var link = json.GetProperty("recipients")[0].GetProperty("link").GetString()!;
        using var reader = new RecipientBrowserlessClient(portal.BaseUrl, Path.Combine(portal.DataDirectory, "outbox"));
        await reader.SignInFromLinkAsync(link);
        return (id, $"__Host-omeportal={reader.Cookies["__Host-omeportal"]}");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
