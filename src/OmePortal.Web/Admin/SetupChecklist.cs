using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Access.External;
using OmePortal.Web.Hosting;
using OmePortal.Web.Notifications;
using OmePortal.Web.Rules;
using OmePortal.Web.Smtp;

namespace OmePortal.Web.Admin;

public enum SetupCheckState
{
    Done,

    /// <summary>Works, but not as a production deployment should.</summary>
    Attention,

    /// <summary>Not set up, and fine without it.</summary>
    Optional,
}

/// <summary>One line of the checklist: <see cref="Key"/> names its title and texts in AdminResource (<c>Checklist{Key}</c>, <c>Checklist{Key}{Reason}</c>).</summary>
public sealed record SetupCheck(string Key, SetupCheckState State, string Reason, IReadOnlyList<object> Arguments);

/// <summary>
/// The admin home's setup checklist: what a deployment needs before real mail goes through it, read from
/// the running configuration and the tenant's own rows, so it states what the portal really does now
/// (docs/ARCHITECTURE.md, the admin console). Nothing here is cached: it is one page an admin opens.
/// </summary>
public sealed class SetupChecklist(
    SmtpRelay relay,
    PublicUrls urls,
    IOptions<OmePortalOptions> portal,
    IOptions<NotificationOptions> notifications,
    IOptions<SmtpGatewayOptions> smtp,
    ISmtpGatewayCertificate gateway,
    ExternalProviders providers,
    TimeProvider time)
{
    /// <summary>A configured certificate this close to its end is flagged.</summary>
    public static readonly TimeSpan CertificateWarning = TimeSpan.FromDays(30);

    public async Task<IReadOnlyList<SetupCheck>> CheckAsync(AdminScope scope, CancellationToken cancellationToken) =>
    [
        Relay(),
        PublicAddress(),
        await DomainsAsync(scope, cancellationToken),
        await DeliveryAsync(scope, cancellationToken),
        Certificate(),
        Providers(),
    ];

    private SetupCheck Relay() => relay.Target is { } target
        ? new("Relay", SetupCheckState.Done, "Done", [$"{target.Host}:{target.Port}"])
        : new("Relay", SetupCheckState.Attention, "Missing", []);

    private SetupCheck PublicAddress()
    {
        if (string.IsNullOrWhiteSpace(portal.Value.PublicBaseUrl))
        {
            return new("PublicUrl", SetupCheckState.Attention, "Unset", [urls.BaseUrl]);
        }

        var configured = urls.BaseUrl;
        if (!Uri.TryCreate(configured, UriKind.Absolute, out var uri) || IsLocal(uri.Host))
        {
            return new("PublicUrl", SetupCheckState.Attention, "Local", [configured]);
        }

        return uri.Scheme == Uri.UriSchemeHttps
            ? new("PublicUrl", SetupCheckState.Done, "Done", [configured])
            : new("PublicUrl", SetupCheckState.Attention, "NotHttps", [configured]);
    }

    private static bool IsLocal(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static async Task<SetupCheck> DomainsAsync(AdminScope scope, CancellationToken cancellationToken)
    {
        var domains = await scope.Data.Domains.AsNoTracking().OrderBy(d => d.Domain).Select(d => d.Domain).Take(6).ToListAsync(cancellationToken);
        return domains.Count == 0
            ? new("Domains", SetupCheckState.Attention, "Missing", [])
            : new("Domains", SetupCheckState.Done, "Done", [string.Join(", ", domains.Take(5)) + (domains.Count > 5 ? ", …" : string.Empty)]);
    }

    private async Task<SetupCheck> DeliveryAsync(AdminScope scope, CancellationToken cancellationToken)
    {
        var mails = scope.Data.OutboundMails.AsNoTracking();
        var lastFailure = await mails.Where(o => o.LastError != null)
            .OrderByDescending(o => o.CreatedAt)
            .Select(o => new { o.CreatedAt, o.Attempts, o.LastError, o.Status })
            .FirstOrDefaultAsync(cancellationToken);
        var lastSent = await mails.Where(o => o.Status == OutboundMailStatus.Sent).MaxAsync(o => o.SentAt, cancellationToken);

        // A failure older than the last mail that did go out is history: delivery works again.
        if (lastFailure is not null && (lastSent is null || lastFailure.CreatedAt > lastSent))
        {
            var reason = lastFailure.Status == OutboundMailStatus.Failed ? "Failed" : "Retrying";
            return new("Delivery", SetupCheckState.Attention, reason, [lastFailure.CreatedAt, lastFailure.Attempts, lastFailure.LastError!]);
        }

        if (notifications.Value.Delivery == MailDelivery.Pickup)
        {
            return new("Delivery", SetupCheckState.Attention, "Pickup", []);
        }

        return lastSent is { } sent
            ? new("Delivery", SetupCheckState.Done, "Done", [sent])
            : new("Delivery", SetupCheckState.Done, "NothingYet", []);
    }

    private SetupCheck Certificate()
    {
        if (!smtp.Value.Enabled)
        {
            return new("Certificate", SetupCheckState.Optional, "GatewayOff", []);
        }

        if (string.IsNullOrWhiteSpace(smtp.Value.CertificatePath))
        {
            return new("Certificate", SetupCheckState.Attention, "SelfSigned", []);
        }

        if (gateway.Certificate is not { } certificate)
        {
            return new("Certificate", SetupCheckState.Attention, "NotLoaded", []);
        }

        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        return notAfter - time.GetUtcNow() < CertificateWarning
            ? new("Certificate", SetupCheckState.Attention, "Expiring", [certificate.Subject, notAfter])
            : new("Certificate", SetupCheckState.Done, "Done", [certificate.Subject, notAfter]);
    }

    private SetupCheck Providers() => providers.Any
        ? new("Providers", SetupCheckState.Done, "Done", [string.Join(", ", providers.All.Select(p => p.Kind == ExternalProviderKind.Microsoft ? "Microsoft" : p.Name))])
        : new("Providers", SetupCheckState.Optional, "None", []);
}
