using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Smtp;

/// <summary>
/// Section <c>OmePortal:Smtp</c>: the SMTP gateway (docs/ARCHITECTURE.md §5). A session may submit mail when it
/// comes from an allowed network (the message then belongs to <see cref="TenantSlug"/>) or when it
/// authenticated with AUTH PLAIN/LOGIN after STARTTLS, the password being a tenant API key.
/// </summary>
public sealed class SmtpGatewayOptions
{
    public const string Section = "OmePortal:Smtp";

    /// <summary>The self-signed certificate made on first run when no <see cref="CertificatePath"/> is configured.</summary>
    public const string GeneratedCertificateFileName = "smtp-certificate.pfx";

    public static readonly IReadOnlyList<string> DefaultAllowedNetworks = ["127.0.0.0/8", "::1/128"];

    public bool Enabled { get; set; } = true;

    /// <summary>Address to listen on: an IP literal (<c>::</c> for every IPv6 interface), <c>localhost</c>, or <c>*</c> for every IPv4 interface.</summary>
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 2525;

    /// <summary>Name in the greeting and EHLO reply, and the subject of a generated certificate.</summary>
    public string ServerName { get; set; } = "omeportal";

    /// <summary>A PKCS#12 file with the STARTTLS certificate and its key. Relative to the data directory.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>Refuse MAIL FROM until the session has done STARTTLS.</summary>
    public bool RequireTls { get; set; }

    /// <summary>
    /// CIDR ranges (or single addresses) whose sessions may submit without AUTH. Unset: loopback only.
    /// Empty entries are ignored, so <c>OmePortal__Smtp__AllowedNetworks__0=""</c> allows no network.
    /// </summary>
    public string[]? AllowedNetworks { get; set; }

    /// <summary>The tenant that owns mail from an allowed network without AUTH.</summary>
    public string TenantSlug { get; set; } = "default";

    /// <summary>Offer AUTH PLAIN/LOGIN (after STARTTLS only): any user name, the password is a tenant API key.</summary>
    public bool AllowAuthentication { get; set; } = true;

    /// <summary>Gateway-wide cap in bytes. Unset: the tenant's own limit (the default tenant's is advertised with SIZE).</summary>
    public long? MaxMessageBytes { get; set; }

    /// <summary>
    /// Longest command line in bytes, CRLF included (RFC 5321 allows 512 plus extensions). A longer line ends the
    /// session with 500 before it is buffered any further, whoever the client is.
    /// </summary>
    [Range(1024, 65536)]
    public int MaxCommandLineBytes { get; set; } = 4096;

    /// <summary>Concurrent sessions, all clients together; one more is answered 421 and closed.</summary>
    [Range(1, 100_000)]
    public int MaxSessions { get; set; } = 200;

    /// <summary>Concurrent sessions from one client (an IPv4 address, or an IPv6 /64).</summary>
    [Range(1, 100_000)]
    public int MaxSessionsPerClient { get; set; } = 20;

    /// <summary>New connections one client may open in a minute (sliding); more are answered 421 and closed.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerClientPerMinute { get; set; } = 60;

    /// <summary>How long the gateway waits for the next command line, or for more of a DATA block, before 421 and closing.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one session may last; checked whenever the gateway waits for input.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Failed AUTH attempts one client may make in a minute, across its sessions; after that AUTH is answered 421.</summary>
    [Range(1, 10_000)]
    public int MaxAuthFailuresPerClientPerMinute { get; set; } = 10;

    public IReadOnlyList<string> EffectiveAllowedNetworks =>
        AllowedNetworks is null ? DefaultAllowedNetworks : [.. AllowedNetworks.Where(n => !string.IsNullOrWhiteSpace(n))];

    /// <summary>The address to bind, or null when <see cref="Host"/> is not understood.</summary>
    public IPAddress? ListenAddress() => Host.Trim() switch
    {
        "*" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        var host => IPAddress.TryParse(host, out var address) ? address : null,
    };
}

/// <summary>Checked at start-up (ValidateOnStart), so a bad value stops the portal instead of a silent half-configured gateway.</summary>
internal sealed class SmtpGatewayOptionsValidator : IValidateOptions<SmtpGatewayOptions>
{
    /// <summary>The ingest path holds a message in one buffer; SmtpServer counts sizes in an int.</summary>
    public const long MaxSupportedMessageBytes = int.MaxValue - 16;

    public ValidateOptionsResult Validate(string? name, SmtpGatewayOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (options.ListenAddress() is null)
        {
            failures.Add($"{SmtpGatewayOptions.Section}:Host must be an IP address, 'localhost' or '*' (got '{options.Host}').");
        }

        if (options.Port is < 1 or > 65535)
        {
            failures.Add($"{SmtpGatewayOptions.Section}:Port must be between 1 and 65535.");
        }

        if (string.IsNullOrWhiteSpace(options.ServerName) || options.ServerName.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c > 126))
        {
            failures.Add($"{SmtpGatewayOptions.Section}:ServerName must be a non-empty host name.");
        }

        if (string.IsNullOrWhiteSpace(options.TenantSlug))
        {
            failures.Add($"{SmtpGatewayOptions.Section}:TenantSlug is required.");
        }

        if (options.MaxMessageBytes is { } max && (max < 1024 || max > MaxSupportedMessageBytes))
        {
            failures.Add($"{SmtpGatewayOptions.Section}:MaxMessageBytes must be between 1024 and {MaxSupportedMessageBytes}.");
        }

        if (options.CertificatePassword is not null && string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            failures.Add($"{SmtpGatewayOptions.Section}:CertificatePassword is set but CertificatePath is not.");
        }

        if (!NetworkAllowList.TryParse(options.EffectiveAllowedNetworks, out _, out var error))
        {
            failures.Add($"{SmtpGatewayOptions.Section}:AllowedNetworks: {error}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
