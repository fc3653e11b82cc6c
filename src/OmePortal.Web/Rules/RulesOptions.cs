using OmePortal.Web.Notifications;

namespace OmePortal.Web.Rules;

/// <summary>
/// Section <c>OmePortal:Rules</c>. <see cref="Relay"/> is where the SMTP gateway relays mail that no rule
/// encrypts. When <c>Relay:Host</c> is unset, the notification smart host is used if notifications go
/// to one; with neither configured there is nowhere to relay, and the gateway encrypts every message with
/// the tenant default (as it did before rules existed) rather than lose or bounce it.
/// </summary>
public sealed class RulesOptions
{
    public const string Section = "OmePortal:Rules";

    public SmartHostOptions Relay { get; set; } = new();

    /// <summary>Largest .eml the admin rule tester accepts (bytes).</summary>
    public long MaxTesterBytes { get; set; } = 10L * 1024 * 1024;
}
