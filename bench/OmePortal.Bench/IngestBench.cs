using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace OmePortal.Bench;

/// <summary>(b) REST and (c) SMTP ingest of 20 KB messages against a Release portal process on loopback.</summary>
public static class IngestBench
{
    public static async Task RestAsync(Report report, BenchOptions options)
    {
        foreach (var (storage, environment) in Storages(options))
        {
            await RestAsync(report, options, storage, environment);
        }
    }

    public static async Task SmtpAsync(Report report, BenchOptions options)
    {
        var rates = new List<(string Storage, double Rate)>();
        foreach (var (storage, environment) in Storages(options))
        {
            rates.Add((storage, await SmtpAsync(report, options, storage, environment)));
        }

        await PostfixAsync(report, options, rates);
    }

    /// <summary>SQLite, and PostgreSQL when bench/run.sh has started one (OMEPORTAL_BENCH_POSTGRES); --storage picks one.</summary>
    private static IEnumerable<(string Name, Dictionary<string, string> Environment)> Storages(BenchOptions options)
    {
        if (options.Storage is null or "sqlite")
        {
            yield return ("SQLite", []);
        }

        var postgres = Environment.GetEnvironmentVariable("OMEPORTAL_BENCH_POSTGRES");
        if (options.Storage is "postgres" && string.IsNullOrEmpty(postgres))
        {
            throw new InvalidOperationException("--storage postgres needs OMEPORTAL_BENCH_POSTGRES (bench/run.sh rest|smtp starts one).");
        }

        if (options.Storage is null or "postgres" && !string.IsNullOrEmpty(postgres))
        {
            yield return ("PostgreSQL", new Dictionary<string, string>
            {
                ["OmePortal__Database__Provider"] = "Postgres",
                ["OmePortal__Database__ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = $"bench_ingest_{Guid.NewGuid():N}" }.ConnectionString,
            });
        }
    }

    private static async Task RestAsync(Report report, BenchOptions options, string storage, Dictionary<string, string> environment)
    {
        await using var portal = await PortalProcess.StartAsync(options.WebDll!, environment);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency }) { BaseAddress = new Uri(portal.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", portal.ApiKey);
        var messages = Enumerable.Range(0, 64).Select(BenchMessages.Twenty).ToArray();

        async Task<bool> PostAsync(int i)
        {
            var content = new ByteArrayContent(messages[i % messages.Length]);
            content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            using var response = await client.PostAsync("/api/v1/messages", content);
            return response.StatusCode == HttpStatusCode.Created;
        }

        var (count, failures, latencies, elapsed, cpu) = await DriveAsync(new BenchOptionsView(options.Duration, options.Concurrency), TimeSpan.FromSeconds(3), PostAsync, portal);
        report.Line($"## (b) REST ingest, 20 KB messages, durable (201 after fsync + commit), {storage}");
        report.Line();
        report.Line($"{options.Concurrency} concurrent clients, {elapsed.TotalSeconds:F0} s: **{count / elapsed.TotalSeconds:F0} msg/s**, " +
                    $"p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, {failures} failures, " +
                    $"message size {messages[0].Length / 1024} KB, portal CPU {cpu.TotalMilliseconds / Math.Max(1, count):F1} ms/msg.");
        report.Line();
    }

    private static async Task<double> SmtpAsync(Report report, BenchOptions options, string storage, Dictionary<string, string> environment)
    {
        await using var portal = await PortalProcess.StartAsync(options.WebDll!, environment);
        var connections = options.SmtpSessions;
        var clients = new SmtpClient[connections];
        for (var i = 0; i < connections; i++)
        {
            clients[i] = new SmtpClient();
            // MailKit writes DATA in 4 KB pieces; with Nagle on, every piece after the first waits for the ACK of the one
            // before, which the server's TCP delays by 40 ms (bench/RESULTS.md, the profile of issue 24). smtp-source
            // does not stall this way, so the gateway is measured without it unless --nagle asks for it.
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
            {
                NoDelay = !options.Nagle,
            };
            await socket.ConnectAsync(IPAddress.Loopback, portal.SmtpPort);
            await clients[i].ConnectAsync(socket, "127.0.0.1", portal.SmtpPort, SecureSocketOptions.None);
        }

        var pool = new System.Collections.Concurrent.ConcurrentBag<SmtpClient>(clients);
        var sequence = 0;

        async Task<bool> SendAsync(int _)
        {
            if (!pool.TryTake(out var client))
            {
                throw new InvalidOperationException("No free SMTP connection.");
            }

            try
            {
                var raw = BenchMessages.Twenty(Interlocked.Increment(ref sequence));
                var message = MimeMessage.Load(new MemoryStream(raw));
                await client.SendAsync(message);
                return true;
            }
            finally
            {
                pool.Add(client);
            }
        }

        var (count, failures, latencies, elapsed, cpu) = await DriveAsync(new BenchOptionsView(options.Duration, connections), TimeSpan.FromSeconds(3), SendAsync, portal);
        foreach (var client in clients)
        {
            await client.DisconnectAsync(true);
            client.Dispose();
        }

        report.Line($"## (c) SMTP gateway ingest, 20 KB messages, durable (250 after fsync + commit), {storage}");
        report.Line();
        report.Line($"{connections} concurrent SMTP connections (MailKit, plain on loopback), {elapsed.TotalSeconds:F0} s: **{count / elapsed.TotalSeconds:F0} msg/s**, " +
                    $"p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms per message, {failures} failures, " +
                    $"portal CPU {cpu.TotalMilliseconds / Math.Max(1, count):F1} ms/msg.");
        report.Line();
        return count / elapsed.TotalSeconds;
    }

    /// <summary>
    /// Postfix as the reference MTA (bench/postfix-reference.sh: a private instance that queues with fsync, then
    /// discards), fed the same 20 KB message by <c>smtp-source</c> over as many sessions as the gateway got, each
    /// session kept open (-d) as MailKit's are. Skipped unless bench/run.sh started it (OMEPORTAL_BENCH_POSTFIX).
    /// </summary>
    private static async Task PostfixAsync(Report report, BenchOptions options, List<(string Storage, double Rate)> gateway)
    {
        var postfix = Environment.GetEnvironmentVariable("OMEPORTAL_BENCH_POSTFIX");
        if (string.IsNullOrEmpty(postfix))
        {
            return;
        }

        var sessions = options.SmtpSessions;
        var file = Path.Combine(Path.GetTempPath(), $"omeportal-bench-{Guid.NewGuid():N}.eml");
        // smtp-source appends CRLF to every line itself: the file has bare LF.
        await File.WriteAllTextAsync(file, System.Text.Encoding.ASCII.GetString(BenchMessages.Twenty(1)).Replace("\r\n", "\n", StringComparison.Ordinal));
        try
        {
            await SmtpSourceAsync(postfix, sessions, 200, file); // warm-up: Postfix starts its smtpd and cleanup processes
            var count = Math.Max(1000, (int)(options.Duration.TotalSeconds * 300));
            var watch = Stopwatch.StartNew();
            await SmtpSourceAsync(postfix, sessions, count, file);
            var rate = count / watch.Elapsed.TotalSeconds;
            report.Line("## (c') Postfix on the same machine, same message (queued with fsync, then discarded)");
            report.Line();
            report.Line($"`smtp-source -s {sessions} -d -m {count}`, {watch.Elapsed.TotalSeconds:F1} s: **{rate:F0} msg/s**. " +
                        string.Join(", ", gateway.Select(g => $"**gateway ({g.Storage}) / Postfix: {g.Rate / rate:F2}**")) + ".");
            report.Line();
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task SmtpSourceAsync(string hostAndPort, int sessions, int count, string file)
    {
        var start = new ProcessStartInfo("smtp-source", ["-s", sessions.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d",
            "-m", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-F", file,
            "-f", "finance@bench.local", "-t", "jan@bench.local", hostAndPort])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"smtp-source failed ({process.ExitCode}): {errors}");
        }
    }

    private sealed record BenchOptionsView(TimeSpan Duration, int Concurrency);

    private static async Task<(long Count, long Failures, List<double> Latencies, TimeSpan Elapsed, TimeSpan PortalCpu)> DriveAsync(
        BenchOptionsView options, TimeSpan warmup, Func<int, Task<bool>> operation, PortalProcess portal)
    {
        // Warm-up (JIT, connection pools, SQLite cache), not counted.
        var warmEnd = DateTime.UtcNow + warmup;
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async w =>
        {
            var i = w;
            while (DateTime.UtcNow < warmEnd)
            {
                await operation(i);
                i += options.Concurrency;
            }
        }));

        long count = 0, failures = 0;
        var latencies = new List<double>[options.Concurrency];
        var cpuBefore = portal.CpuTime();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async w =>
        {
            latencies[w] = [];
            var i = w;
            while (watch.Elapsed < options.Duration)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await operation(i);
                }
                catch (Exception)
                {
                    ok = false;
                }

                latencies[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (ok)
                {
                    Interlocked.Increment(ref count);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }

                i += options.Concurrency;
            }
        }));
        watch.Stop();
        // Includes the notification dispatcher's background work: it runs on the same cores and is part of what a message costs.
        return (count, failures, latencies.SelectMany(l => l).ToList(), watch.Elapsed, portal.CpuTime() - cpuBefore);
    }

    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        return values[Math.Min(values.Count - 1, (int)(p * values.Count))];
    }
}
