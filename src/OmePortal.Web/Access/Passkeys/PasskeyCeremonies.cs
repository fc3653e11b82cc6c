using System.Security.Cryptography;
using Fido2NetLib;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Notifications;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Access.Passkeys;

/// <summary>The outcome of finishing a passkey sign-in.</summary>
public abstract record PasskeySignIn
{
    private PasskeySignIn()
    {
    }

    /// <summary>
    /// The assertion checked out: the session is for the credential's own address, nothing else, recording
    /// <paramref name="SessionMethod"/> (<see cref="SignInChoices.PasskeySessionMethod"/>) and the passkey's record id.
    /// </summary>
    public sealed record Verified(string Address, string SessionMethod, Guid PasskeyId) : PasskeySignIn;

    /// <summary>Unknown, replayed or expired challenge, unknown credential, bad signature, counter gone back…</summary>
    public sealed record Refused : PasskeySignIn;
}

/// <summary>
/// The two WebAuthn ceremonies (register, sign in) of recipients. Every options object is kept on
/// the server and claimed once (<see cref="PasskeyChallengeStore"/>). Sign-in uses discoverable credentials with an empty
/// allow-list: the options are the same for everybody, so they reveal nothing about any address.
/// </summary>
public sealed partial class PasskeyCeremonies(
    PasskeyProtocol protocol,
    OmePortalDbContext db,
    PasskeyChallengeStore challenges,
    RecipientAuditTrail audit,
    MasterKeyHolder master,
    OutboxSignal outbox,
    TimeProvider time,
    ILogger<PasskeyCeremonies> logger)
{
    public const string RegisterPurpose = "register";
    public const string SignInPurpose = "signin";

    // 1. Registration starts for a signed-in address only; the address is fixed into the challenge.
    public async Task<(Guid ChallengeId, string OptionsJson)> BeginRegistrationAsync(string address, CancellationToken cancellationToken)
    {
        address = AddressNormalizer.Normalize(address);
        var existing = await db.PasskeyCredentials.AsNoTracking()
            .Where(c => c.Address == address)
            .Select(c => new { c.CredentialId, c.UserHandle })
            .ToListAsync(cancellationToken);

        // One user handle per address, so an authenticator keeps one passkey per address for this portal.
        var userHandle = existing.FirstOrDefault()?.UserHandle ?? RandomNumberGenerator.GetBytes(32);
        var json = protocol.CreationOptionsJson(userHandle, address, address, existing.Select(c => c.CredentialId));
        return (await challenges.StoreAsync(RegisterPurpose, address, json, cancellationToken), json);
    }

    // 2. Registration ends: same address as the one that asked, the challenge claimed once, the attestation checked.
    //    The passkey records the method that verified the address (it inherits it, see SignInChoices.PasskeySessionMethod);
    //    it is stored with its audit event and the mail to the address in one transaction.
    public async Task<bool> CompleteRegistrationAsync(
        Guid? challengeId, string address, string sessionMethod, string name, AuthenticatorAttestationRawResponse response, CancellationToken cancellationToken)
    {
        address = AddressNormalizer.Normalize(address);
        var challenge = await challenges.ClaimAsync(challengeId, RegisterPurpose, cancellationToken);
        if (challenge is null || !string.Equals(challenge.Address, address, StringComparison.Ordinal))
        {
            LogRefused("registration", "unknown, used, expired or foreign challenge");
            return false;
        }

        var (credential, refusal) = await protocol.VerifyRegistrationAsync(challenge.OptionsJson, response,
            async (id, ct) => !await db.PasskeyCredentials.AnyAsync(c => c.CredentialId == id, ct), cancellationToken);
        if (credential is null)
        {
            LogRefused("registration", refusal!);
            return false;
        }

        var now = time.GetUtcNow();
        var record = new PasskeyCredential
        {
            Id = Guid.CreateVersion7(now),
            CredentialId = credential.Id,
            PublicKey = credential.PublicKey,
            SignCount = credential.SignCount,
            UserHandle = credential.User.Id,
            Address = address,
            Name = name,
            CreatedAt = now,
            RegisteredWith = SignInChoices.AddressProofOf(sessionMethod),
        };
        db.PasskeyCredentials.Add(record);
        await audit.AddAsync(AuditEventKind.PasskeyAdded, address, messageId: null, sessionMethod, cancellationToken);
        db.OutboundMails.Add(PasskeyAddedMail.Queue(master, address, name, now));
        await db.SaveChangesAsync(cancellationToken);
        outbox.Notify();
        LogRegistered(record.Id);
        return true;
    }

    // 3. Sign-in starts for anybody: no address, no allow-list, identical options for every caller.
    public async Task<(Guid ChallengeId, string OptionsJson)> BeginSignInAsync(CancellationToken cancellationToken)
    {
        var json = protocol.SignInOptionsJson();
        return (await challenges.StoreAsync(SignInPurpose, null, json, cancellationToken), json);
    }

    // 4. Sign-in ends: challenge claimed once, the credential looked up by id, signature, user handle and counter checked.
    public async Task<PasskeySignIn> CompleteSignInAsync(Guid? challengeId, AuthenticatorAssertionRawResponse response, CancellationToken cancellationToken)
    {
        var challenge = await challenges.ClaimAsync(challengeId, SignInPurpose, cancellationToken);
        if (challenge is null)
        {
            LogRefused("sign-in", "unknown, used or expired challenge");
            return new PasskeySignIn.Refused();
        }

        var rawId = response.RawId;
        var credential = rawId is null ? null
            : await db.PasskeyCredentials.AsNoTracking().SingleOrDefaultAsync(c => c.CredentialId == rawId, cancellationToken);
        if (credential is null)
        {
            LogRefused("sign-in", "unknown credential");
            return new PasskeySignIn.Refused();
        }

        var (signCount, refusal) = await protocol.VerifyAssertionAsync(challenge.OptionsJson, response,
            new StoredPasskey(credential.CredentialId, credential.PublicKey, credential.SignCount, credential.UserHandle), cancellationToken);
        if (signCount is not { } counter)
        {
            LogRefused("sign-in", refusal!);
            return new PasskeySignIn.Refused();
        }

        // Written only if nobody else used the credential in the meantime (the stored counter is unchanged).
        var now = time.GetUtcNow();
        var stored = credential.SignCount;
        var updated = await db.PasskeyCredentials
            .Where(c => c.Id == credential.Id && c.SignCount == stored)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.SignCount, (long)counter).SetProperty(c => c.LastUsedAt, now), cancellationToken);
        if (updated != 1)
        {
            LogRefused("sign-in", "credential used concurrently or removed");
            return new PasskeySignIn.Refused();
        }

        return new PasskeySignIn.Verified(credential.Address, SignInChoices.PasskeySessionMethod(credential.RegisteredWith), credential.Id);
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Passkey {Ceremony} refused: {Reason}.")]
    private partial void LogRefused(string ceremony, string reason);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Passkey {CredentialRecordId} registered.")]
    private partial void LogRegistered(Guid credentialRecordId);
}
