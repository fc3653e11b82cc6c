using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Smtp;

/// <summary>
/// The gateway's memory stays bounded against a client that never ends a line or a message, measured on the real
/// portal as a separate process (its resident set from /proc), before anyone authenticated or was allowed; and
/// REST intake reserves nothing for a body a client only announced.
/// </summary>
public sealed class SmtpMemoryBoundTests(SmtpMemoryBoundTests.GatewayProcess gateway, ITestOutputHelper output) : IClassFixture<SmtpMemoryBoundTests.GatewayProcess>
{
    private const int Flood = 64 * 1024 * 1024;
    private const long MaxGrowth = 16 * 1024 * 1024;
    private const int MessageLimit = 1024 * 1024;

    private PortalProcess Portal => gateway.Portal;

    [Fact]
    public async Task Ehlo_Then64MiBWithoutCrlf_IsCutWith500_AndMemoryStaysBounded()
    {
        var before = ResetPeak();
        var (reply, sent) = await FloodAsync(["EHLO flood.example"], Flood);
        var growth = Peak() - before;
        output.WriteLine($"Reply '{reply.Trim()}', client wrote {sent / 1024} KiB before the gateway closed, peak resident set grew {growth / 1024} KiB.");

        Assert.StartsWith("500 5.5.2", reply, StringComparison.Ordinal);
        Assert.True(sent < Flood, $"The gateway read all {Flood} bytes of one line instead of closing early.");
        Assert.True(growth < MaxGrowth, $"The resident set grew by {growth / 1024} KiB (limit {MaxGrowth / 1024} KiB).");
        await LoggedAsync("LineTooLong");
    }

    [Fact]
    public async Task Data_OfLimitPlus64MiB_IsCutWith552_AndMemoryStaysBounded()
    {
        var before = ResetPeak();
        var (reply, sent) = await FloodAsync(
            ["EHLO flood.example", "MAIL FROM:<flood@contoso.test>", "RCPT TO:<someone@example.net>", "DATA"],
            MessageLimit + Flood,
            dataLines: true);
        var growth = Peak() - before;
        output.WriteLine($"Reply '{reply.Trim()}', client wrote {sent / 1024} KiB of DATA before the gateway closed, peak resident set grew {growth / 1024} KiB.");

        Assert.StartsWith($"552 5.3.4 Message size exceeds the limit of {MessageLimit} bytes", reply, StringComparison.Ordinal);
        Assert.True(sent < MessageLimit + Flood, "The gateway read the whole oversized DATA block instead of closing early.");
        Assert.True(growth < MaxGrowth, $"The resident set grew by {growth / 1024} KiB (limit {MaxGrowth / 1024} KiB).");
        await LoggedAsync("MessageTooLarge");
    }

    [Fact]
    public async Task RestBodies_DeclaringTheLimit_ReserveNoMemoryBeforeTheirBytesArrive()
    {
        // Each request promises the tenant's whole limit and sends one kilobyte. A portal that sized its buffer by
        // Content-Length would commit 40 x 30 MiB here; one that grows with the bytes holds 40 x 64 KiB. The GC hands
        // out fresh pages without touching them, so the resident set alone would not show it: the data segment does.
        const int Requests = 40;
        const long Declared = 30L * 1024 * 1024;

        // Warm up the REST path (JIT, authentication, the tenant's limit, the connection pools) with one real
        // message and one short round, so what is measured is what the announced bodies cost.
        await Portal.IngestAsync(Encoding.ASCII.GetBytes("From: a@contoso.test\r\nTo: b@example.net\r\nSubject: warm\r\n\r\nwarm\r\n"));
        await AnnounceBodiesAsync(2, Declared, hold: TimeSpan.FromSeconds(1));

        var before = ResetPeak();
        var dataBefore = Status("VmData");
        var (growth, committed) = await AnnounceBodiesAsync(Requests, Declared, hold: TimeSpan.FromSeconds(3), measure: () => (Peak() - before, Status("VmData") - dataBefore));
        output.WriteLine($"{Requests} requests declaring {Declared / 1024 / 1024} MiB each: peak resident set grew {growth / 1024} KiB, data segment {committed / 1024} KiB.");

        // Forty open requests cost 12 to 20 MiB of resident memory here (connections, pooled buffers, 64 KiB each to
        // start). The data segment is noisier (11 to 50 MiB: every new thread pool thread maps an 8 MiB stack),
        // while sizing by Content-Length commits 1 200 MiB: its bound is a fifth of that.
        Assert.True(growth < 4 * MaxGrowth, $"The resident set grew by {growth / 1024} KiB (limit {4 * MaxGrowth / 1024} KiB).");
        Assert.True(committed < Requests * Declared / 5, $"The data segment grew by {committed / 1024} KiB: memory was reserved for bodies not sent.");
    }

    /// <summary>
    /// Opens <paramref name="count"/> REST requests that each announce <paramref name="declared"/> bytes and send one
    /// kilobyte, waits <paramref name="hold"/> (every request reaches its body read), measures while they are all
    /// open, then closes them.
    /// </summary>
    private async Task<(long Growth, long Committed)> AnnounceBodiesAsync(int count, long declared, TimeSpan hold, Func<(long, long)>? measure = null)
    {
        var connections = new List<TcpClient>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var tcp = new TcpClient();
                connections.Add(tcp);
                await tcp.ConnectAsync("127.0.0.1", Portal.HttpPort);
                var head = $"POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:{Portal.HttpPort}\r\nAuthorization: Bearer {Portal.ApiKey}\r\n"
                    + $"Content-Type: message/rfc822\r\nContent-Length: {declared}\r\n\r\n";
                await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head + "From: a@contoso.test\r\n" + new string('x', 1000)));
            }

            await Task.Delay(hold);
            return measure?.Invoke() ?? default;
        }
        finally
        {
            foreach (var tcp in connections)
            {
                tcp.Dispose();
            }
        }
    }

    /// <summary>
    /// Sends the commands (each must be answered 2xx/3xx), then floods <paramref name="bytes"/> bytes while reading
    /// what the gateway answers. Returns that answer and how many flood bytes the socket took before it closed.
    /// </summary>
    private async Task<(string Reply, long Sent)> FloodAsync(string[] commands, long bytes, bool dataLines = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Portal.SmtpPort);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.StartsWith("220", await reader.ReadLineAsync(timeout.Token), StringComparison.Ordinal);
        foreach (var command in commands)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), timeout.Token);
            string line;
            do
            {
                line = await reader.ReadLineAsync(timeout.Token) ?? throw new IOException($"Closed after '{command}'.");
            }
            while (line.Length > 3 && line[3] == '-');
            Assert.True(line[0] is '2' or '3', $"'{command}' was answered '{line}'.");
        }

        // Text lines for DATA (a real message body never ends), one endless run of letters for a command line.
        var chunk = new byte[64 * 1024];
        chunk.AsSpan().Fill((byte)'a');
        if (dataLines)
        {
            for (var i = 76; i < chunk.Length; i += 78)
            {
                chunk[i] = (byte)'\r';
                chunk[i + 1] = (byte)'\n';
            }
        }

        long sent = 0;
        var replyTask = reader.ReadLineAsync(timeout.Token).AsTask();
        try
        {
            while (sent < bytes && !replyTask.IsCompleted)
            {
                var size = (int)Math.Min(chunk.Length, bytes - sent);
                await stream.WriteAsync(chunk.AsMemory(0, size), timeout.Token);
                sent += size;
            }
        }
        catch (IOException)
        {
            // The gateway closed the connection: what was sent until then is the measure.
        }

        string? reply;
        try
        {
            reply = await replyTask;
        }
        catch (IOException exception)
        {
            throw new Xunit.Sdk.XunitException($"No reply before the connection broke ({exception.Message}); {sent} bytes sent.\n{Portal.Log}");
        }

        Assert.NotNull(reply);
        return (reply, sent);
    }

    /// <summary>Resets the process's peak resident set to its current size (clear_refs 5) and returns that size.</summary>
    private long ResetPeak()
    {
        File.WriteAllText($"/proc/{Portal.ProcessId}/clear_refs", "5");
        return Status("VmRSS");
    }

    private long Peak() => Status("VmHWM");

    private long Status(string field)
    {
        foreach (var line in File.ReadAllLines($"/proc/{Portal.ProcessId}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{Portal.ProcessId}/status has no {field}.");
    }

    /// <summary>The portal logs asynchronously: wait a moment for the line that says why the session ended.</summary>
    private async Task LoggedAsync(string reason)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Portal.Log.Contains($"ended by the gateway: {reason}", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The portal did not log '{reason}'.\n{Portal.Log}");
            await Task.Delay(100);
        }
    }

    /// <summary>One portal process for the class, started with a small message limit and warmed up.</summary>
    public sealed class GatewayProcess : IAsyncLifetime
    {
        private readonly string _root = TestEnvironment.NewTempDirectory("omeportal-smtp-memory");

        public PortalProcess Portal { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
            var work = Directory.CreateDirectory(Path.Combine(_root, "work")).FullName;
            Portal = new PortalProcess(
                data,
                TestEnvironment.FreePort(),
                TestEnvironment.FreePort(),
                "omp_memory_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)),
                work,
                new Dictionary<string, string> { ["OmePortal__Smtp__MaxMessageBytes"] = MessageLimit.ToString(CultureInfo.InvariantCulture) });
            Portal.Start();
            try
            {
                await Portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            }
            catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
            {
                throw new InvalidOperationException($"{exception.Message}\n{Portal.Log}", exception);
            }

            // Warm up the paths a session takes (JIT, pools), so what is measured is what the flood costs.
            for (var i = 0; i < 3; i++)
            {
                var (client, _) = await RawSmtpClient.ConnectAsync(Portal.SmtpPort);
                await using (client)
                {
                    await client.CommandAsync("EHLO warm.example");
                    await client.CommandAsync("MAIL FROM:<warm@contoso.test>");
                    await client.CommandAsync("RCPT TO:<someone@example.net>");
                    await client.CommandAsync("QUIT");
                }
            }
        }

        public Task DisposeAsync()
        {
            Portal.Dispose();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }

            return Task.CompletedTask;
        }
    }
}
