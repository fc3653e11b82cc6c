using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Smtp;

/// <summary>Protocol behaviour of the gateway that does not depend on the storage engine (SQLite host).</summary>
public sealed class SmtpProtocolTests
{
    [Fact]
    public async Task Ehlo_AdvertisesStartTlsAndSize_AndAuthOnlyAfterTls()
    {
        await using var host = await new PortalHost().StartAsync();

        using (var plain = await SmtpTestSupport.ConnectAsync(host, SecureSocketOptions.None))
        {
            Assert.False(plain.IsSecure);
            Assert.True(plain.Capabilities.HasFlag(SmtpCapabilities.StartTLS));
            Assert.True(plain.Capabilities.HasFlag(SmtpCapabilities.Size));
            Assert.Equal(30u * 1024 * 1024, plain.MaxSize); // the default tenant's limit
            Assert.False(plain.Capabilities.HasFlag(SmtpCapabilities.Authentication));
            Assert.Empty(plain.AuthenticationMechanisms);
        }

        using var secure = await SmtpTestSupport.ConnectAsync(host, SecureSocketOptions.StartTls);
        Assert.True(secure.IsSecure);
        Assert.True(secure.Capabilities.HasFlag(SmtpCapabilities.Size));
        Assert.Contains("PLAIN", secure.AuthenticationMechanisms);
        Assert.Contains("LOGIN", secure.AuthenticationMechanisms);
    }

    [Fact]
    public async Task StartTls_WithSelfSignedCertificate_IsPinnedToTheGeneratedFile()
    {
        await using var host = await new PortalHost().StartAsync();
        var path = Path.Combine(host.DataDirectory, OmePortal.Web.Smtp.SmtpGatewayOptions.GeneratedCertificateFileName);
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        // A client pinned to another certificate refuses the connection: the pin is what let the others in.
        using var wrongPin = SmtpTestSupport.PinnedClient(new string('A', 64));
        await Assert.ThrowsAsync<SslHandshakeException>(() => wrongPin.ConnectAsync("127.0.0.1", host.SmtpPort, SecureSocketOptions.StartTls));

        using var pinned = await SmtpTestSupport.ConnectAsync(host);
        Assert.True(pinned.IsSecure);
    }

    [Fact]
    public async Task Mail_BeforeStartTls_WhenTlsRequired_IsRefused()
    {
        await using var host = await new PortalHost(settings: new Dictionary<string, string?> { ["OmePortal:Smtp:RequireTls"] = "true" }).StartAsync();

        var transcript = new TranscriptLogger();
        using (var plain = await SmtpTestSupport.ConnectAsync(host, SecureSocketOptions.None, transcript))
        {
            var refused = await Assert.ThrowsAsync<ServiceNotAuthenticatedException>(() => plain.SendAsync(SmtpTestSupport.NewMessage("In the clear")));
            Assert.StartsWith("5.7.0 Must issue a STARTTLS command first", refused.Message, StringComparison.Ordinal);
        }

        Assert.Contains("S: 530 5.7.0 Must issue a STARTTLS command first", transcript.Text, StringComparison.Ordinal);

        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));

        using var secure = await SmtpTestSupport.ConnectAsync(host, SecureSocketOptions.StartTls);
        await secure.SendAsync(SmtpTestSupport.NewMessage("Over TLS"));
        Assert.Equal(1, await SmtpTestSupport.CountMessagesAsync(host));
    }

    [Fact]
    public async Task Auth_WhenDisabled_IsNotOffered()
    {
        await using var host = await new PortalHost(settings: new Dictionary<string, string?> { ["OmePortal:Smtp:AllowAuthentication"] = "false" }).StartAsync();

        using var secure = await SmtpTestSupport.ConnectAsync(host);
        Assert.True(secure.IsSecure);
        Assert.False(secure.Capabilities.HasFlag(SmtpCapabilities.Authentication));
        await Assert.ThrowsAsync<NotSupportedException>(() => secure.AuthenticateAsync("relay", host.ApiKey));
    }

    [Fact]
    public async Task Gateway_WhenDisabled_DoesNotListenAndPortalIsReady()
    {
        await using var host = await new PortalHost(settings: new Dictionary<string, string?> { ["OmePortal:Smtp:Enabled"] = "false" }).StartAsync();

        using var tcp = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync("127.0.0.1", host.SmtpPort));
    }

    [Fact]
    public async Task Mail_WhenConnectorTenantIsMissing_IsDeferredNotRejected()
    {
        // A misconfigured connector must not bounce mail: 4xx keeps it queued at the sender until fixed.
        await using var host = await new PortalHost(settings: new Dictionary<string, string?> { ["OmePortal:Smtp:TenantSlug"] = "no-such-tenant" }).StartAsync();

        using var client = await SmtpTestSupport.ConnectAsync(host);
        var deferred = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(SmtpTestSupport.NewMessage("Nobody owns this connector")));
        Assert.Equal(SmtpErrorCode.SenderNotAccepted, deferred.ErrorCode);
        Assert.InRange((int)deferred.StatusCode, 400, 499);
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));
    }

    [Fact]
    public async Task Start_WhenSmtpPortIsTaken_FailsInsteadOfRunningWithoutSmtp()
    {
        using var squatter = new TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;

        await using var host = new PortalHost(settings: new Dictionary<string, string?> { ["OmePortal:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        var socket = Assert.IsType<SocketException>(failure is SocketException ? failure : failure.GetBaseException());
        Assert.Equal(SocketError.AddressAlreadyInUse, socket.SocketErrorCode);
    }
}
