using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Smtp;

/// <summary>Session caps, timeouts, AUTH throttling, recipient cap and key revocation of the gateway, over real sockets.</summary>
public sealed class SmtpSessionLimitTests
{
    private static readonly IPAddress OtherClient = IPAddress.Parse("127.0.0.2");

    private static Task<PortalHost> StartAsync(params (string Key, string Value)[] settings) =>
        new PortalHost(settings: settings.ToDictionary(s => s.Key, s => (string?)s.Value)).StartAsync();

    [Fact]
    public async Task Connect_OverTotalSessions_Gets421_AndASlotFreesWhenOneCloses()
    {
        await using var host = await StartAsync(("OmePortal:Smtp:MaxSessions", "2"));
        await using var first = await Connection.OpenAsync(host.SmtpPort);
        await using var second = await Connection.OpenAsync(host.SmtpPort);
        Assert.StartsWith("220", first.Greeting, StringComparison.Ordinal);
        Assert.StartsWith("220", second.Greeting, StringComparison.Ordinal);

        await using (var third = await Connection.OpenAsync(host.SmtpPort, OtherClient))
        {
            Assert.StartsWith("421", third.Greeting, StringComparison.Ordinal);
            Assert.Contains("4.3.2 Too many sessions", third.Greeting, StringComparison.Ordinal);
            Assert.True(await third.IsClosedAsync());
        }

        Assert.StartsWith("221", await first.CommandAsync("QUIT"), StringComparison.Ordinal);
        await first.DisposeAsync();
        Assert.StartsWith("220", await GreetingOnceFreeAsync(host.SmtpPort), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_OverSessionsPerClient_Gets421_WhileAnotherClientGetsIn()
    {
        await using var host = await StartAsync(("OmePortal:Smtp:MaxSessionsPerClient", "2"));
        await using var first = await Connection.OpenAsync(host.SmtpPort);
        await using var second = await Connection.OpenAsync(host.SmtpPort);
        Assert.StartsWith("220", second.Greeting, StringComparison.Ordinal);

        await using (var third = await Connection.OpenAsync(host.SmtpPort))
        {
            Assert.StartsWith("421", third.Greeting, StringComparison.Ordinal);
            Assert.Contains("4.7.0 Too many sessions from your address", third.Greeting, StringComparison.Ordinal);
            Assert.True(await third.IsClosedAsync());
        }

        await using var other = await Connection.OpenAsync(host.SmtpPort, OtherClient);
        Assert.StartsWith("220", other.Greeting, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_OverConnectionsPerMinute_Gets421_WhileAnotherClientGetsIn()
    {
        await using var host = await StartAsync(("OmePortal:Smtp:MaxConnectionsPerClientPerMinute", "3"));
        for (var i = 0; i < 3; i++)
        {
            await using var connection = await Connection.OpenAsync(host.SmtpPort);
            Assert.StartsWith("220", connection.Greeting, StringComparison.Ordinal);
            Assert.StartsWith("221", await connection.CommandAsync("QUIT"), StringComparison.Ordinal);
        }

        await using (var fourth = await Connection.OpenAsync(host.SmtpPort))
        {
            Assert.StartsWith("421", fourth.Greeting, StringComparison.Ordinal);
            Assert.Contains("Too many connections from your address in the last minute", fourth.Greeting, StringComparison.Ordinal);
        }

        await using var other = await Connection.OpenAsync(host.SmtpPort, OtherClient);
        Assert.StartsWith("220", other.Greeting, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdleSession_PastCommandTimeout_Gets421AndIsClosed()
    {
        await using var host = await StartAsync(("OmePortal:Smtp:CommandTimeout", "00:00:02"));
        await using var connection = await Connection.OpenAsync(host.SmtpPort);
        Assert.StartsWith("250", await connection.CommandAsync("EHLO idle.example"), StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        var reply = await connection.ReadReplyAsync(TimeSpan.FromSeconds(20));
        Assert.StartsWith("421 4.4.2 Timeout waiting for input", reply, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        Assert.True(await connection.IsClosedAsync());
    }

    [Fact]
    public async Task BusySession_PastSessionTimeout_Gets421AndIsClosed()
    {
        await using var host = await StartAsync(("OmePortal:Smtp:SessionTimeout", "00:00:03"));
        await using var connection = await Connection.OpenAsync(host.SmtpPort);

        // A client that keeps the session alive with NOOPs is still ended when the session's time is up.
        var clock = Stopwatch.StartNew();
        string reply;
        do
        {
            reply = await connection.CommandAsync("NOOP");
            await Task.Delay(300);
        }
        while (reply.StartsWith("250", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(20));

        Assert.StartsWith("421 4.4.2 Session time limit reached", reply, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(15));
        Assert.True(await connection.IsClosedAsync());
    }

    [Fact]
    public async Task Auth_FailuresAcrossSessions_AreThrottledWith421_EvenForTheRightKey()
    {
        await using var host = await StartAsync(("OmePortal:Smtp:MaxAuthFailuresPerClientPerMinute", "3"));
        var wrongKey = "omp_" + new string('x', 43);

        // Two sessions, three wrong keys: each session allows a few attempts, the limit counts across them.
        // (PLAIN only, so that one AuthenticateAsync is one attempt: MailKit would try LOGIN after a failed PLAIN.)
        using (var client = await SmtpTestSupport.ConnectAsync(host))
        {
            client.AuthenticationMechanisms.Remove("LOGIN");
            await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("relay", wrongKey));
            await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("relay", wrongKey));
        }

        using (var client = await SmtpTestSupport.ConnectAsync(host))
        {
            client.AuthenticationMechanisms.Remove("LOGIN");
            await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("relay", wrongKey));
        }

        var transcript = new TranscriptLogger();
        using (var client = await SmtpTestSupport.ConnectAsync(host, logger: transcript))
        {
            client.AuthenticationMechanisms.Remove("LOGIN");
            // MailKit reports the 421 as a failed authentication or a disconnection, depending on timing: the transcript says which reply came.
            await Assert.ThrowsAnyAsync<Exception>(() => client.AuthenticateAsync("relay", host.ApiKey));
            Assert.False(client.IsAuthenticated);
        }

        Assert.Contains("S: 421 4.7.0 Too many failed authentication attempts from your address", transcript.Text, StringComparison.Ordinal);

        // Another client is not held back by this one's failures.
        using var other = SmtpTestSupport.PinnedClient(SmtpTestSupport.GeneratedCertificateHash(host.DataDirectory));
        other.LocalEndPoint = new IPEndPoint(OtherClient, 0);
        await other.ConnectAsync("127.0.0.1", host.SmtpPort, SecureSocketOptions.StartTls);
        await other.AuthenticateAsync("relay", host.ApiKey);
        Assert.True(other.IsAuthenticated);
    }

    [Fact]
    public async Task Rcpt_OverMaxRecipients_Gets452_AndTheMessageKeepsTheAcceptedOnes()
    {
        await using var host = await StartAsync(("OmePortal:Intake:MaxRecipients", "3"));
        await using var connection = await Connection.OpenAsync(host.SmtpPort);
        Assert.StartsWith("250", await connection.CommandAsync("EHLO many.example"), StringComparison.Ordinal);
        Assert.StartsWith("250", await connection.CommandAsync("MAIL FROM:<sender@contoso.test>"), StringComparison.Ordinal);
        for (var i = 1; i <= 3; i++)
        {
            Assert.StartsWith("250", await connection.CommandAsync($"RCPT TO:<r{i}@example.net>"), StringComparison.Ordinal);
        }

        var refused = await connection.CommandAsync("RCPT TO:<r4@example.net>");
        Assert.StartsWith("452 4.5.3 Too many recipients: at most 3 per message", refused, StringComparison.Ordinal);

        Assert.StartsWith("354", await connection.CommandAsync("DATA"), StringComparison.Ordinal);
        var message = SmtpTestSupport.NewMessage("Capped", to: "r1@example.net");
        using var body = new MemoryStream();
        await message.WriteToAsync(FormatOptions.Default, body);
        await connection.WriteAsync([.. body.ToArray(), .. "\r\n.\r\n"u8.ToArray()]);
        Assert.StartsWith("250", await connection.ReadReplyAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);

        var stored = await host.DbAsync(db => db.Messages.AsNoTracking().Include(m => m.Recipients).SingleAsync());
        Assert.Equal(["r1@example.net", "r2@example.net", "r3@example.net"], stored.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Mail_AfterTheSessionsKeyIsRevoked_Gets530()
    {
        await using var host = await StartAsync();
        var transcript = new TranscriptLogger();
        using var client = await SmtpTestSupport.ConnectAsync(host, logger: transcript);
        await client.AuthenticateAsync("relay", host.ApiKey);
        await client.SendAsync(SmtpTestSupport.NewMessage("Before the revocation"));

        var revoked = await host.DbAsync(async db =>
        {
            var keyHash = OmePortal.Web.Tenancy.ApiKeys.Hash(host.ApiKey);
            var key = await db.ApiKeys.SingleAsync(k => k.KeyHash == keyHash);
            key.RevokedAt = DateTimeOffset.UtcNow;
            return await db.SaveChangesAsync();
        });
        Assert.Equal(1, revoked);

        // The session is on loopback (an allowed network) too: the revoked key still stops it, it does not fall back.
        var refused = await Assert.ThrowsAsync<ServiceNotAuthenticatedException>(() => client.SendAsync(SmtpTestSupport.NewMessage("After the revocation")));
        Assert.Contains("revoked", refused.Message, StringComparison.Ordinal);
        Assert.Contains("S: 530 5.7.0", transcript.Text, StringComparison.Ordinal);
        Assert.Equal(1, await SmtpTestSupport.CountMessagesAsync(host));
    }

    /// <summary>After a session closed, the gateway frees its slot once it has seen the close: retry for a few seconds.</summary>
    private static async Task<string> GreetingOnceFreeAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var connection = await Connection.OpenAsync(port, OtherClient);
            if (!connection.Greeting.StartsWith("421", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                return connection.Greeting;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A raw SMTP connection from a chosen loopback address.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private Connection(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, Encoding.ASCII);
        }

        public string Greeting { get; private set; } = string.Empty;

        public static async Task<Connection> OpenAsync(int port, IPAddress? from = null)
        {
            var tcp = new TcpClient(new IPEndPoint(from ?? IPAddress.Loopback, 0));
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var connection = new Connection(tcp);
            connection.Greeting = await connection.ReadReplyAsync(TimeSpan.FromSeconds(20));
            return connection;
        }

        public async Task<string> CommandAsync(string line)
        {
            await WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
            return await ReadReplyAsync(TimeSpan.FromSeconds(20));
        }

        public async Task WriteAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

        public async Task<string> ReadReplyAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            var reply = new StringBuilder();
            while (true)
            {
                var line = await _reader.ReadLineAsync(cancel.Token) ?? throw new IOException($"The server closed the connection after '{reply}'.");
                reply.AppendLine(line);
                if (line.Length < 4 || line[3] != '-')
                {
                    return reply.ToString();
                }
            }
        }

        /// <summary>Whether the server closed the connection (end of stream or reset) within a few seconds.</summary>
        public async Task<bool> IsClosedAsync()
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                return await _reader.ReadLineAsync(cancel.Token) is null;
            }
            catch (IOException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public ValueTask DisposeAsync()
        {
            _tcp.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
