using System.Net.Security;
using System.Security.Cryptography;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace OmePortal.Web.Notifications;

/// <summary>Relays mail to the configured smart host with MailKit. STARTTLS is required unless configured otherwise.</summary>
public sealed class SmartHostTransport(SmartHostOptions options) : IMailTransport
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        // The span names the smart host, never the mail's addresses; a failure records the exception's type only
        // (a server's reply text may quote an address).
        using var activity = OmePortal.Web.Telemetry.PortalActivities.Source.StartActivity("smtp.send", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("server.address", options.Host);
        activity?.SetTag("server.port", options.Port);
        try
        {
            await SendCoreAsync(message, cancellationToken);
        }
        catch (Exception exception) when (activity is not null)
        {
            activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }
    }

    private async Task SendCoreAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        if (!string.IsNullOrWhiteSpace(options.PinnedCertificateSha256))
        {
            var pinned = Convert.FromHexString(options.PinnedCertificateSha256.Replace(":", "", StringComparison.Ordinal));
            client.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (certificate is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.GetRawCertData()), pinned));
        }

        var security = options.Security switch
        {
            SmartHostSecurity.StartTls => SecureSocketOptions.StartTls,
            SmartHostSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmartHostSecurity.None => SecureSocketOptions.None,
            _ => throw new InvalidOperationException("Unknown smart host security."),
        };
        await client.ConnectAsync(options.Host!, options.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(options.Username))
        {
            await client.AuthenticateAsync(options.Username, options.Password ?? string.Empty, cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
