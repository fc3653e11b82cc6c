using System.Net.Security;
using System.Security.Cryptography;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using OmePortal.Web.Notifications;

namespace OmePortal.Web.Rules;

/// <summary>
/// Relays a message that no rule encrypts to the smart host, as received: the envelope of the SMTP
/// transaction and the message bytes unchanged. MailKit normally re-encodes parts to fit the server's
/// capabilities (8BITMIME); that preparation is switched off, so the smart host gets exactly the bytes
/// the gateway got. The one exception is MailKit's own: it never transmits Bcc, Resent-Bcc and
/// Content-Length header fields (RFC 5322 §3.6.3), which mail arriving from a mail server no longer has.
/// </summary>
public sealed class SmtpRelay(IOptions<RulesOptions> rules, IOptions<NotificationOptions> notifications)
{
    /// <summary>The smart host to relay to, or null when none is configured.</summary>
    public SmartHostOptions? Target =>
        !string.IsNullOrWhiteSpace(rules.Value.Relay.Host) ? rules.Value.Relay
        : notifications.Value.Delivery == MailDelivery.SmartHost && !string.IsNullOrWhiteSpace(notifications.Value.SmartHost.Host) ? notifications.Value.SmartHost
        : null;

    public bool IsConfigured => Target is not null;

    /// <summary>Hands the message to the smart host; returns once the smart host answered 250. Throws when it did not.</summary>
    public async Task RelayAsync(Stream mime, string? envelopeSender, IReadOnlyList<string> envelopeRecipients, CancellationToken cancellationToken)
    {
        var target = Target ?? throw new InvalidOperationException("No smart host is configured for relaying.");

        // The span names the smart host only (docs/ARCHITECTURE.md §14); the caller records a failure.
        using var activity = OmePortal.Web.Telemetry.PortalActivities.Source.StartActivity("smtp.relay", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("server.address", target.Host);
        activity?.SetTag("server.port", target.Port);
        mime.Position = 0;
        using var message = await MimeMessage.LoadAsync(mime, persistent: true, cancellationToken);
        var sender = !string.IsNullOrWhiteSpace(envelopeSender)
            ? MailboxAddress.Parse(envelopeSender)
            : message.From.Mailboxes.FirstOrDefault() ?? throw new InvalidOperationException("The message has no sender to relay it with.");
        var recipients = envelopeRecipients.Select(MailboxAddress.Parse).ToList();

        using var client = new VerbatimSmtpClient { Timeout = (int)target.Timeout.TotalMilliseconds };
        if (!string.IsNullOrWhiteSpace(target.PinnedCertificateSha256))
        {
            // Same pinning rule as the notification transport: a valid chain, or exactly the configured certificate.
            var pinned = Convert.FromHexString(target.PinnedCertificateSha256.Replace(":", "", StringComparison.Ordinal));
            client.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (certificate is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.GetRawCertData()), pinned));
        }

        var security = target.Security switch
        {
            SmartHostSecurity.StartTls => SecureSocketOptions.StartTls,
            SmartHostSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmartHostSecurity.None => SecureSocketOptions.None,
            _ => throw new InvalidOperationException("Unknown smart host security."),
        };
        await client.ConnectAsync(target.Host!, target.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(target.Username))
        {
            await client.AuthenticateAsync(target.Username, target.Password ?? string.Empty, cancellationToken);
        }

        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        await client.SendAsync(format, message, sender, recipients, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }

    /// <summary>An SMTP client that sends a parsed message as it was parsed, without re-encoding any part.</summary>
    private sealed class VerbatimSmtpClient : SmtpClient
    {
        protected override void Prepare(FormatOptions options, MimeMessage message, EncodingConstraint constraint, int maxLineLength)
        {
        }
    }
}
