using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Data;
using OmePortal.Web.Smtp;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Smtp;

/// <summary>Helpers shared by the SMTP gateway tests: a pinned MailKit client, a raw line client, messages, database look-ups.</summary>
internal static class SmtpTestSupport
{
    /// <summary>SHA-256 of the certificate the gateway generated under the data directory.</summary>
    public static string GeneratedCertificateHash(string dataDirectory)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(
            Path.Combine(dataDirectory, SmtpGatewayOptions.GeneratedCertificateFileName), password: null);
        return certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    /// <summary>A MailKit client that trusts exactly the given certificate (and nothing else).</summary>
    public static SmtpClient PinnedClient(string certificateHash, IProtocolLogger? logger = null)
    {
        var client = logger is null ? new SmtpClient() : new SmtpClient(logger);
        client.Timeout = 20_000;
        client.ServerCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), certificateHash, StringComparison.OrdinalIgnoreCase);
        return client;
    }

    public static async Task<SmtpClient> ConnectAsync(PortalHost host, SecureSocketOptions security = SecureSocketOptions.StartTls, IProtocolLogger? logger = null)
    {
        var client = PinnedClient(GeneratedCertificateHash(host.DataDirectory), logger);
        await client.ConnectAsync("127.0.0.1", host.SmtpPort, security);
        return client;
    }

    public static MimeMessage LoadSample(string name) => MimeMessage.Load(TestEnvironment.SamplePath(name));

    /// <summary>A plain message of about <paramref name="approximateSize"/> bytes with a unique Message-ID.</summary>
    public static MimeMessage NewMessage(string subject, int approximateSize = 0, string to = "recipient@example.net")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("sender@contoso.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = $"{Guid.NewGuid():N}@smtp-tests.contoso.test";
        var body = new StringBuilder("Hello from the SMTP gateway tests.\r\n");
        while (body.Length < approximateSize)
        {
            body.Append("The quick brown fox jumps over the lazy dog 0123456789.\r\n");
        }

        message.Body = new TextPart("plain") { Text = body.ToString() };
        return message;
    }

    public static Guid StoredIdFromReply(string reply)
    {
        // "2.0.0 Ok: stored as <id>"
        var last = reply.Trim().Split(' ')[^1];
        Assert.True(Guid.TryParseExact(last, "N", out var id), $"Unexpected 250 text: '{reply}'.");
        return id;
    }

    public static async Task<T> WithDbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        return await query(db);
    }

    public static Task<int> CountMessagesAsync(PortalHost host) => WithDbAsync(host, db => db.Messages.CountAsync());
}

/// <summary>
/// A bare SMTP client over a socket, for what MailKit will not do on purpose: declare a SIZE the server
/// advertised as too large, or send data without declaring its size.
/// </summary>
internal sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly StreamReader _reader;

    private RawSmtpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _stream.ReadTimeout = 20_000;
        _reader = new StreamReader(_stream, Encoding.ASCII);
    }

    public static async Task<(RawSmtpClient Client, string Greeting)> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var client = new RawSmtpClient(tcp);
        return (client, await client.ReadReplyAsync());
    }

    /// <summary>Sends one command line and returns the whole (possibly multi-line) reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
        return await ReadReplyAsync();
    }

    public async Task WriteAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public async Task<string> ReadReplyAsync()
    {
        var reply = new StringBuilder();
        while (true)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("The server closed the connection.");
            reply.AppendLine(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return reply.ToString();
            }
        }
    }

    public static int Code(string reply) => int.Parse(reply.AsSpan(0, 3), System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}

/// <summary>Keeps MailKit's protocol transcript in memory so a test can look for the exact reply codes.</summary>
internal sealed class TranscriptLogger() : ProtocolLogger(new MemoryStream(), leaveOpen: false)
{
    public string Text
    {
        get
        {
            Stream.Flush();
            return Encoding.UTF8.GetString(((MemoryStream)Stream).ToArray());
        }
    }
}
