using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace OmePortal.Testing;

/// <summary>
/// A real SMTP server on loopback standing in for a smart host or an external mail server:
/// STARTTLS with a certificate made here, records every message it accepts.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly ConcurrentQueue<MimeMessage> _received = new();
    private readonly ConcurrentQueue<ReceivedMail> _raw = new();

    public SmtpSink(int? port = null)
    {
        Port = port ?? TestEnvironment.FreePort();
        Certificate = CreateCertificate();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("sink.localhost")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)).Certificate(Certificate))
            .Build();
        var services = new ServiceProvider();
        services.Add(new Store(this));
        var server = new SmtpServer.SmtpServer(options, services);
        _running = server.StartAsync(_stop.Token);
    }

    public int Port { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the certificate, as the portal's PinnedCertificateSha256 setting takes it.</summary>
    public string CertificateSha256 => Convert.ToHexString(SHA256.HashData(Certificate.RawData));

    /// <summary>Settings that make a portal deliver its notification mail here (STARTTLS, pinned to this certificate).</summary>
    public Dictionary<string, string?> SmartHostSettings() => new()
    {
        ["OmePortal:Notifications:Delivery"] = "SmartHost",
        ["OmePortal:Notifications:SmartHost:Host"] = "127.0.0.1",
        ["OmePortal:Notifications:SmartHost:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["OmePortal:Notifications:SmartHost:Security"] = "StartTls",
        ["OmePortal:Notifications:SmartHost:PinnedCertificateSha256"] = CertificateSha256,
    };

    public IReadOnlyCollection<MimeMessage> Received => _received;

    /// <summary>Every accepted message as it arrived: envelope and the exact DATA bytes (without the final CRLF.CRLF).</summary>
    public IReadOnlyCollection<ReceivedMail> RawReceived => _raw;

    /// <summary>Set to answer every message with 451 (a relay that is temporarily unwell).</summary>
    public bool Refuse { get; set; }

    public async Task<MimeMessage[]> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (_received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} message(s) at the SMTP sink, got {_received.Count}.");
            }

            await Task.Delay(50);
        }

        return [.. _received];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }

        Certificate.Dispose();
        _stop.Dispose();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=sink.localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private sealed class Store(SmtpSink sink) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (sink.Refuse)
            {
                return Task.FromResult(new SmtpResponse(SmtpReplyCode.ServiceUnavailable, "try later"));
            }

            var bytes = buffer.ToArray();
            sink._raw.Enqueue(new ReceivedMail(
                transaction.From is { } from ? $"{from.User}@{from.Host}" : null,
                [.. transaction.To.Select(t => $"{t.User}@{t.Host}")],
                bytes));
            using var stream = new MemoryStream(bytes);
            sink._received.Enqueue(MimeMessage.Load(stream));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}

/// <summary>One message as an <see cref="SmtpSink"/> received it.</summary>
public sealed record ReceivedMail(string? From, IReadOnlyList<string> To, byte[] Data);
