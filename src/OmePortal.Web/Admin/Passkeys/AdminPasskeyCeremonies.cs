using System.Security.Cryptography;
using Fido2NetLib;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Access.Passkeys;

namespace OmePortal.Web.Admin.Passkeys;

/// <summary>
/// WebAuthn for admin accounts: registration by an admin signed in with both factors, and a
/// discoverable sign-in that yields the account the passkey was made for. User verification is
/// required on both, so a passkey is possession and a PIN or biometric in one: it signs in without
/// the password and counts as two factors. Credentials live in <see cref="AdminPasskey"/>, apart from
/// recipients' passkeys, so neither sign-in can ever find the other's.
/// </summary>
public sealed partial class AdminPasskeyCeremonies(
    PasskeyProtocol protocol,
    OmePortalDbContext db,
    PasskeyChallengeStore challenges,
    TimeProvider time,
    ILogger<AdminPasskeyCeremonies> logger)
{
    public const string RegisterPurpose = "admin-register";
    public const string SignInPurpose = "admin-signin";

    public async Task<(Guid ChallengeId, string OptionsJson)> BeginRegistrationAsync(AdminUser user, CancellationToken cancellationToken)
    {
        var existing = await db.AdminPasskeys.AsNoTracking()
            .Where(c => c.AdminUserId == user.Id)
            .Select(c => new { c.CredentialId, c.UserHandle })
            .ToListAsync(cancellationToken);

        // One user handle per account (random, not the account id: it is visible to the authenticator).
        var userHandle = existing.FirstOrDefault()?.UserHandle ?? RandomNumberGenerator.GetBytes(32);
        var name = user.Email ?? user.UserName ?? user.Id.ToString();
        var json = protocol.CreationOptionsJson(userHandle, name, name + " (admin)", existing.Select(c => c.CredentialId));
        return (await challenges.StoreAsync(RegisterPurpose, user.Id.ToString(), json, cancellationToken), json);
    }

    /// <summary>The passkey stored, or null when the answer is not for this account's challenge or does not verify.</summary>
    public async Task<AdminPasskey?> CompleteRegistrationAsync(
        Guid? challengeId, AdminUser user, string name, AuthenticatorAttestationRawResponse response, CancellationToken cancellationToken)
    {
        var challenge = await challenges.ClaimAsync(challengeId, RegisterPurpose, cancellationToken);
        if (challenge is null || challenge.Address != user.Id.ToString())
        {
            LogRefused("registration", "unknown, used, expired or foreign challenge");
            return null;
        }

        var (credential, refusal) = await protocol.VerifyRegistrationAsync(challenge.OptionsJson, response,
            async (id, ct) => !await db.AdminPasskeys.AnyAsync(c => c.CredentialId == id, ct) && !await db.PasskeyCredentials.AnyAsync(c => c.CredentialId == id, ct),
            cancellationToken);
        if (credential is null)
        {
            LogRefused("registration", refusal!);
            return null;
        }

        var now = time.GetUtcNow();
        var passkey = new AdminPasskey
        {
            Id = Guid.CreateVersion7(now),
            AdminUserId = user.Id,
            CredentialId = credential.Id,
            PublicKey = credential.PublicKey,
            SignCount = credential.SignCount,
            UserHandle = credential.User.Id,
            Name = name,
            CreatedAt = now,
        };
        db.AdminPasskeys.Add(passkey);
        await db.SaveChangesAsync(cancellationToken);
        return passkey;
    }

    /// <summary>The same options for everybody (no allow-list): they say nothing about any account.</summary>
    public async Task<(Guid ChallengeId, string OptionsJson)> BeginSignInAsync(CancellationToken cancellationToken)
    {
        var json = protocol.SignInOptionsJson();
        return (await challenges.StoreAsync(SignInPurpose, null, json, cancellationToken), json);
    }

    /// <summary>The account the passkey belongs to, or null (unknown credential, bad signature, replay, counter gone back…).</summary>
    public async Task<Guid?> CompleteSignInAsync(Guid? challengeId, AuthenticatorAssertionRawResponse response, CancellationToken cancellationToken)
    {
        var challenge = await challenges.ClaimAsync(challengeId, SignInPurpose, cancellationToken);
        if (challenge is null)
        {
            LogRefused("sign-in", "unknown, used or expired challenge");
            return null;
        }

        var rawId = response.RawId;
        var passkey = rawId is null ? null
            : await db.AdminPasskeys.AsNoTracking().SingleOrDefaultAsync(c => c.CredentialId == rawId, cancellationToken);
        if (passkey is null)
        {
            LogRefused("sign-in", "unknown credential");
            return null;
        }

        var (signCount, refusal) = await protocol.VerifyAssertionAsync(challenge.OptionsJson, response,
            new StoredPasskey(passkey.CredentialId, passkey.PublicKey, passkey.SignCount, passkey.UserHandle), cancellationToken);
        if (signCount is not { } counter)
        {
            LogRefused("sign-in", refusal!);
            return null;
        }

        var now = time.GetUtcNow();
        var stored = passkey.SignCount;
        var updated = await db.AdminPasskeys
            .Where(c => c.Id == passkey.Id && c.SignCount == stored)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.SignCount, (long)counter).SetProperty(c => c.LastUsedAt, now), cancellationToken);
        if (updated != 1)
        {
            LogRefused("sign-in", "credential used concurrently or removed");
            return null;
        }

        return passkey.AdminUserId;
    }

    [LoggerMessage(EventId = 1130, Level = LogLevel.Warning, Message = "Admin passkey {Ceremony} refused: {Reason}.")]
    private partial void LogRefused(string ceremony, string reason);
}
