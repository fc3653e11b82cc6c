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
        await using var portal = await PortalProcess.StartAsync(options.WebDll!);
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

        var (count, failures, latencies, elapsed) = await DriveAsync(options, TimeSpan.FromSeconds(3), PostAsync);
        report.Line("## (b) REST ingest, 20 KB messages, durable (201 after fsync + commit)");
        report.Line();
        report.Line($"{options.Concurrency} concurrent clients, {elapsed.TotalSeconds:F0} s: **{count / elapsed.TotalSeconds:F0} msg/s**, " +
                    $"p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, {failures} failures, " +
                    $"message size {messages[0].Length / 1024} KB.");
        report.Line();
    }

    public static async Task SmtpAsync(Report report, BenchOptions options)
    {
        await using var portal = await PortalProcess.StartAsync(options.WebDll!);
        var connections = Math.Max(1, options.Concurrency / 2);
        var clients = new SmtpClient[connections];
        for (var i = 0; i < connections; i++)
        {
            clients[i] = new SmtpClient();
            await clients[i].ConnectAsync("127.0.0.1", portal.SmtpPort, SecureSocketOptions.None);
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

        var (count, failures, latencies, elapsed) = await DriveAsync(new BenchOptionsView(options.Duration, connections), TimeSpan.FromSeconds(3), SendAsync);
        foreach (var client in clients)
        {
            await client.DisconnectAsync(true);
            client.Dispose();
        }

        report.Line("## (c) SMTP gateway ingest, 20 KB messages, durable (250 after fsync + commit)");
        report.Line();
        report.Line($"{connections} concurrent SMTP connections (MailKit, plain on loopback), {elapsed.TotalSeconds:F0} s: **{count / elapsed.TotalSeconds:F0} msg/s**, " +
                    $"p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms per message, {failures} failures.");
        report.Line();
    }

    private sealed record BenchOptionsView(TimeSpan Duration, int Concurrency);

    private static Task<(long Count, long Failures, List<double> Latencies, TimeSpan Elapsed)> DriveAsync(BenchOptions options, TimeSpan warmup, Func<int, Task<bool>> operation) =>
        DriveAsync(new BenchOptionsView(options.Duration, options.Concurrency), warmup, operation);

    private static async Task<(long Count, long Failures, List<double> Latencies, TimeSpan Elapsed)> DriveAsync(BenchOptionsView options, TimeSpan warmup, Func<int, Task<bool>> operation)
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
        return (count, failures, latencies.SelectMany(l => l).ToList(), watch.Elapsed);
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
