using System.ComponentModel.DataAnnotations;
using OmePortal.Core.Rules;

namespace OmePortal.Web.Tenancy;

/// <summary>Section <c>OmePortal:Bootstrap</c>: what the first run creates.</summary>
public sealed class BootstrapOptions : IValidatableObject
{
    public const string Section = "OmePortal:Bootstrap";

    public string TenantSlug { get; set; } = "default";

    public string TenantName { get; set; } = "Default organisation";

    /// <summary>Use this API key for the first tenant instead of a random one (automation). Must start with "omp_".</summary>
    public string? ApiKey { get; set; }

    /// <summary>The brand that seeds the default template. Defaults to the built-in <c>branding/default</c>.</summary>
    public string? BrandDirectory { get; set; }

    /// <summary>
    /// With <see cref="AdminPassword"/>: the system admin created at start while no admin exists. Without
    /// them, a one-time setup link is written to the log instead. The admin enrols an authenticator at first sign-in.
    /// </summary>
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>
    /// The first tenant's accepted domains: the domains its senders (From and envelope sender) may use, subdomains
    /// included. Set on the first run, and at a later start while that tenant has none (an upgrade). Without
    /// any, the tenant accepts no mail until an admin sets them (in Development it accepts any sender until then).
    /// </summary>
    public string[] AcceptedDomains { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var entries = AcceptedDomains.Where(d => !string.IsNullOrWhiteSpace(d)).ToList();
        if (entries.Count > RuleValidator.MaxEntries)
        {
            yield return new ValidationResult($"OmePortal:Bootstrap:AcceptedDomains holds at most {RuleValidator.MaxEntries} domains.", [nameof(AcceptedDomains)]);
        }

        foreach (var domain in entries.Where(d => !RuleValidator.IsDomain(d)))
        {
            yield return new ValidationResult($"OmePortal:Bootstrap:AcceptedDomains: '{domain}' is not a domain name.", [nameof(AcceptedDomains)]);
        }
    }
}
