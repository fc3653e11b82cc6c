using System.ComponentModel.DataAnnotations;

namespace OmePortal.Web.Access;

/// <summary>Section <c>OmePortal:Passcodes</c>. Defaults follow docs/ARCHITECTURE.md §7 (ASVS 6.5.5).</summary>
public sealed class PasscodeOptions
{
    public const string Section = "OmePortal:Passcodes";

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(10);

    [Range(1, 20)]
    public int MaxAttemptsPerChallenge { get; set; } = 5;

    /// <summary>At most one passcode per address in this interval.</summary>
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 100)]
    public int MaxPerHour { get; set; } = 5;

    /// <summary>Consecutive wrong codes for one address (across challenges) before a cool-down.</summary>
    [Range(1, 10_000)]
    public int MaxConsecutiveFailures { get; set; } = 100;

    public TimeSpan Cooldown { get; set; } = TimeSpan.FromMinutes(15);
}
