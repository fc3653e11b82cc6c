using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Revocation;

/// <summary>Rows one sweep removed, by kind.</summary>
public sealed record AnonymousStateSwept(int PasscodeChallenges, int Lockouts, int Sessions, int PasskeyChallenges, int ReplySends, int AdminSessions)
{
    public int Total => PasscodeChallenges + Lockouts + Sessions + PasskeyChallenges + ReplySends + AdminSessions;
}

/// <summary>
/// Removes the state that anyone on the internet can make the portal write without being anybody: passcode
/// challenges, per-address lockout rows, recipient sessions, passkey ceremonies, and the reply quota counts;
/// and, as they pile up the same way, admin sessions that ended or outlived their absolute lifetime (the
/// audit log keeps who signed in and out). Each row is kept only as long as a decision still reads it, so
/// deleting it changes no answer; run by
/// <see cref="ExpirySweeper"/> on its schedule. Plain set-based deletes: safe on several nodes at once.
/// </summary>
public sealed partial class AnonymousStateSweeper(
    OmePortalDbContext db, TimeProvider time, IOptions<AdminOptions> adminOptions, ILogger<AnonymousStateSweeper> logger)
{
    /// <summary>
    /// How long a challenge row outlives its expiry: <see cref="Passcodes"/> counts an address's challenges of
    /// the last hour for its per-hour limit, so a younger one must stay even when it is dead.
    /// </summary>
    public static readonly TimeSpan PasscodeRateWindow = TimeSpan.FromHours(1);

    /// <summary>The longest window a reply quota counts over (new recipients per day).</summary>
    public static readonly TimeSpan ReplyQuotaWindow = TimeSpan.FromDays(1);

    public async Task<AnonymousStateSwept> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rateCutoff = now - PasscodeRateWindow;
        var challenges = await db.PasscodeChallenges
            .Where(c => c.ExpiresAt <= now && c.CreatedAt <= rateCutoff)
            .ExecuteDeleteAsync(cancellationToken);

        // A lockout row with nothing to remember: no failures, no cool-down running, and no challenge left
        // that a failure could be counted for. (A sign-in that starts in the instant between the row's
        // creation and its challenge's insert can lose its row; the next start makes it again, so at most one
        // challenge's tries go uncounted, and those are capped per challenge anyway.)
        var lockouts = await db.RecipientLockouts
            .Where(l => l.ConsecutiveFailures == 0
                && (l.CooldownUntil == null || l.CooldownUntil <= now)
                && !db.PasscodeChallenges.Any(c => c.Address == l.Address))
            .ExecuteDeleteAsync(cancellationToken);

        // The same tests as RecipientSessions.ValidateAsync: a row it would refuse is of no use.
        var idleCutoff = now - RecipientSessions.IdleTimeout;
        var sessions = await db.RecipientSessions
            .Where(s => s.EndedAt != null || s.ExpiresAt <= now || s.LastSeenAt <= idleCutoff)
            .ExecuteDeleteAsync(cancellationToken);

        var passkeyChallenges = await db.PasskeyChallenges
            .Where(c => c.ExpiresAt <= now)
            .ExecuteDeleteAsync(cancellationToken);

        var quotaCutoff = now - ReplyQuotaWindow;
        var replySends = await db.ReplySends
            .Where(r => r.SentAt <= quotaCutoff)
            .ExecuteDeleteAsync(cancellationToken);

        // The same tests as AdminSessions.IsLiveAsync.
        var adminCutoff = now - adminOptions.Value.SessionAbsoluteLifetime;
        var adminSessions = await db.AdminSessions
            .Where(s => s.EndedAt != null || s.CreatedAt <= adminCutoff)
            .ExecuteDeleteAsync(cancellationToken);

        var swept = new AnonymousStateSwept(challenges, lockouts, sessions, passkeyChallenges, replySends, adminSessions);
        if (swept.Total > 0)
        {
            LogSwept(swept.PasscodeChallenges, swept.Lockouts, swept.Sessions, swept.PasskeyChallenges, swept.ReplySends, swept.AdminSessions);
        }

        return swept;
    }

    [LoggerMessage(EventId = 1404, Level = LogLevel.Information, Message = "Removed {Challenges} passcode challenge(s), {Lockouts} lockout row(s), {Sessions} session(s), {PasskeyChallenges} passkey ceremonies, {ReplySends} reply quota row(s) and {AdminSessions} admin session(s).")]
    private partial void LogSwept(int challenges, int lockouts, int sessions, int passkeyChallenges, int replySends, int adminSessions);
}
