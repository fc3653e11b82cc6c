using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Notifications;

public enum MailDelivery
{
    /// <summary>.eml files in a pickup directory (the default: nothing leaves the machine).</summary>
    Pickup,

    /// <summary>MailKit to a smart host.</summary>
    SmartHost,
}

public enum SmartHostSecurity
{
    /// <summary>STARTTLS is required; a server that does not offer it is an error.</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,

    /// <summary>Plain SMTP. Only for a relay on the same host; must be chosen explicitly.</summary>
    None,
}

/// <summary>Section <c>OmePortal:Notifications</c>.</summary>
public sealed class NotificationOptions : IValidatableObject
{
    public const string Section = "OmePortal:Notifications";

    public MailDelivery Delivery { get; set; } = MailDelivery.Pickup;

    /// <summary>Defaults to <c>&lt;data&gt;/outbox</c>.</summary>
    public string? PickupDirectory { get; set; }

    /// <summary>
    /// How long a mail file stays in the pickup directory before the expiry sweeper removes it: the files hold
    /// working links and passcodes in the clear.
    /// </summary>
    public TimeSpan PickupRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Pickup delivery outside Development only when this is true: there it usually means a forgotten setting
    /// (no mail reaches anybody, and readable credentials pile up on disk), so it has to be chosen on purpose,
    /// e.g. for a local MTA that collects the directory.
    /// </summary>
    public bool AllowPickupInProduction { get; set; }

    [Required, EmailAddress]
    public string FromAddress { get; set; } = "no-reply@omeportal.localhost";

    public string FromName { get; set; } = "OmePortal";

    public SmartHostOptions SmartHost { get; set; } = new();

    /// <summary>Attempts before a notification is marked failed.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 12;

    /// <summary>Delay before the first retry; doubled each time, at most <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How often the queue is looked at when nobody wakes the dispatcher.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a node may hold a queued mail it claimed before another node takes it over: the time a node
    /// that died mid-send delays that mail. It must outlast one send (<see cref="SmartHostOptions.Timeout"/>),
    /// else a slow send could be taken over while still in flight and the mail would go out twice.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Delivery == MailDelivery.SmartHost && string.IsNullOrWhiteSpace(SmartHost.Host))
        {
            yield return new ValidationResult("OmePortal:Notifications:SmartHost:Host is required when Delivery is SmartHost.");
        }

        if (PickupRetention < TimeSpan.FromHours(1) || PickupRetention > TimeSpan.FromDays(365))
        {
            yield return new ValidationResult("OmePortal:Notifications:PickupRetention must be between 01:00:00 and 365.00:00:00.", [nameof(PickupRetention)]);
        }

        if (FirstRetryDelay <= TimeSpan.Zero || MaxRetryDelay < FirstRetryDelay)
        {
            yield return new ValidationResult("Retry delays must be positive and MaxRetryDelay ≥ FirstRetryDelay.");
        }

        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("OmePortal:Notifications:LeaseDuration must be between 00:00:01 and 01:00:00.", [nameof(LeaseDuration)]);
        }
        else if (Delivery == MailDelivery.SmartHost && LeaseDuration <= SmartHost.Timeout)
        {
            yield return new ValidationResult(
                $"OmePortal:Notifications:LeaseDuration ({LeaseDuration}) must be longer than OmePortal:Notifications:SmartHost:Timeout ({SmartHost.Timeout}): "
                + "another node would take over a mail whose send is still in flight.",
                [nameof(LeaseDuration)]);
        }
    }
}

public sealed class SmartHostOptions
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    public SmartHostSecurity Security { get; set; } = SmartHostSecurity.StartTls;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>
    /// Accept exactly this certificate (SHA-256 thumbprint, hex) even when the chain does not validate:
    /// for a relay with a private certificate. Empty: normal certificate validation.
    /// </summary>
    public string? PinnedCertificateSha256 { get; set; }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Refuses Pickup delivery outside Development unless <see cref="NotificationOptions.AllowPickupInProduction"/>
/// says it is meant, at start (the options are validated on start), with the setting to change in the message.
/// </summary>
public sealed class PickupDeliveryEnvironmentValidation(IHostEnvironment environment) : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options) =>
        options.Delivery == MailDelivery.Pickup && !options.AllowPickupInProduction && !environment.IsDevelopment()
            ? ValidateOptionsResult.Fail(
                $"OmePortal:Notifications:Delivery is Pickup in the {environment.EnvironmentName} environment: notification and passcode mail would only be "
                + "written to files and reach nobody. Set OmePortal:Notifications:Delivery=SmartHost (with OmePortal:Notifications:SmartHost:Host), "
                + "or set OmePortal:Notifications:AllowPickupInProduction=true if a local mail service collects the pickup directory.")
            : ValidateOptionsResult.Success;
}
