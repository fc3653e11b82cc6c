using System.ComponentModel.DataAnnotations;

namespace OmePortal.Web.Revocation;

/// <summary>Section <c>OmePortal:Revocation</c>: the expiry sweeper.</summary>
public sealed class RevocationOptions : IValidatableObject
{
    public const string Section = "OmePortal:Revocation";

    /// <summary>How often the sweeper looks for messages nobody can read any more (expired or revoked for everyone).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Messages shredded per database round trip of the sweeper.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>False stops the background sweeper (tests drive it by hand); revocation still shreds at once.</summary>
    public bool SweeperEnabled { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SweepInterval < TimeSpan.FromSeconds(1) || SweepInterval > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult("OmePortal:Revocation:SweepInterval must be between 00:00:01 and 1.00:00:00.", [nameof(SweepInterval)]);
        }
    }
}
