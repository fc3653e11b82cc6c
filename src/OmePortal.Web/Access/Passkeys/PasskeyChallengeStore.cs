using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;

namespace OmePortal.Web.Access.Passkeys;

/// <summary>
/// WebAuthn options kept on the server (a <see cref="PasskeyChallenge"/> row) and claimed once,
/// atomically, so a challenge can neither be chosen by the browser nor replayed. Shared by the
/// recipients' and the admins' ceremonies; the purpose keeps them apart.
/// </summary>
public sealed class PasskeyChallengeStore(OmePortalDbContext db, TimeProvider time, IOptions<PasskeyOptions> options)
{
    /// <summary>Stores the options of a ceremony for <paramref name="subject"/> (an address, an admin id, or nobody yet).</summary>
    public async Task<Guid> StoreAsync(string purpose, string? subject, string optionsJson, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();

        // Old ceremonies are of no use to anyone: drop them as new ones start.
        var stale = now - TimeSpan.FromHours(1);
        await db.PasskeyChallenges.Where(c => c.ExpiresAt < stale).ExecuteDeleteAsync(cancellationToken);
        var challenge = new PasskeyChallenge
        {
            Id = Guid.CreateVersion7(now),
            Purpose = purpose,
            Address = subject,
            OptionsJson = optionsJson,
            CreatedAt = now,
            ExpiresAt = now + options.Value.CeremonyTimeout,
        };
        db.PasskeyChallenges.Add(challenge);
        await db.SaveChangesAsync(cancellationToken);
        return challenge.Id;
    }

    /// <summary>The challenge, if it is of this purpose, unexpired and not claimed before; null otherwise.</summary>
    public async Task<PasskeyChallenge?> ClaimAsync(Guid? challengeId, string purpose, CancellationToken cancellationToken)
    {
        if (challengeId is not { } id)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var claimed = await db.PasskeyChallenges
            .Where(c => c.Id == id && c.Purpose == purpose && c.ConsumedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ConsumedAt, now), cancellationToken);
        return claimed == 1 ? await db.PasskeyChallenges.AsNoTracking().SingleAsync(c => c.Id == id, cancellationToken) : null;
    }
}
