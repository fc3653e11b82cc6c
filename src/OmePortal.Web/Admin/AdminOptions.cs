using System.ComponentModel.DataAnnotations;

namespace OmePortal.Web.Admin;

/// <summary>Section <c>OmePortal:Admin</c>.</summary>
public sealed class AdminOptions
{
    public const string Section = "OmePortal:Admin";

    /// <summary>Wrong passwords or authenticator codes in a row before the account locks.</summary>
    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Requests per minute and client address to the admin sign-in pages (rate limiter).</summary>
    [Range(1, 10_000)]
    public int SignInRequestsPerMinutePerClient { get; set; } = 30;

    /// <summary>How long an admin session lasts without activity.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long an admin session lasts from its sign-in, however active the admin is (the idle timeout
    /// slides; this does not): a stolen or forgotten session ends at the latest after this.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan SessionAbsoluteLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long a setup link or an invitation can be used.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(3);

    [Range(8, 128)]
    public int MinimumPasswordLength { get; set; } = 12;

    /// <summary>
    /// How recent the sign-in must be to add a passkey: a session taken over later (an unlocked laptop)
    /// cannot add a way back in without the password and the code.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "12:00:00")]
    public TimeSpan PasskeyRegistrationWindow { get; set; } = TimeSpan.FromMinutes(15);
}
