using System.Security.Cryptography;
using Fido2NetLib;
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

/// <summary>Checks both ceremonies share.</summary>
public static class PasskeyVerification
{
    /// <summary>What a malformed or forged browser answer makes the library throw; anything else is a fault of ours.</summary>
    public static bool IsVerificationFailure(Exception e) =>
        e is Fido2VerificationException or ArgumentException or FormatException or InvalidOperationException
            or System.Formats.Cbor.CborContentException or CryptographicException or System.Text.Json.JsonException;

    /// <summary>A counter that does not move forward means a cloned authenticator (0 and 0: the authenticator keeps none).</summary>
    public static bool CounterAdvanced(uint returned, long stored) =>
        (returned == 0 && stored == 0) || returned > stored;
}
