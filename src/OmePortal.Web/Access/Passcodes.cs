using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Notifications;
using OmePortal.Web.Vault;
using OtpNet;

namespace OmePortal.Web.Access;

/// <summary>The outcome of asking for a passcode.</summary>
public abstract record PasscodeStart
{
    private PasscodeStart() { }

    /// <summary>A challenge exists (whether or not a mail left: the caller cannot tell, by design).</summary>
    public sealed record Started(Guid ChallengeId, string ReferenceCode, DateTimeOffset ExpiresAt) : PasscodeStart;

    /// <summary>Too soon or too many: try again after <see cref="RetryAfter"/>.</summary>
    public sealed record Throttled(TimeSpan RetryAfter) : PasscodeStart;
}

/// <summary>The outcome of entering a passcode.</summary>
public abstract record PasscodeCheck
{
    private PasscodeCheck() { }

    public sealed record Verified(string Address, Guid? MessageId) : PasscodeCheck;

    public sealed record Wrong(int AttemptsLeft) : PasscodeCheck;

    /// <summary>Used, burned by wrong tries, expired or unknown: ask for a new one.</summary>
    public sealed record Dead : PasscodeCheck;

    public sealed record CoolingDown(TimeSpan RetryAfter) : PasscodeCheck;
}

/// <summary>
/// One-time passcodes (docs/ARCHITECTURE.md §7): 8 digits from a CSPRNG (an HOTP of a fresh random key, via
/// Otp.NET), kept only as a keyed hash bound to its challenge, valid 10 minutes, single use, burned
/// after 5 wrong tries, resends throttled, and a cool-down after 100 consecutive failures per
/// address. An address that is no recipient of anything gets the same answers: a challenge is
/// made, but no mail is sent and no code can ever match it.
/// </summary>
public sealed class Passcodes(
    OmePortalDbContext db,
    MasterKeyHolder master,
    OutboxSignal outbox,
    RecipientAuditTrail audit,
    RecipientLanguages languages,
    IOptions<PasscodeOptions> options,
    OmePortal.Web.Telemetry.PortalMetrics metrics,
    TimeProvider time)
{
    public const int Digits = 8;
    private const string ReferenceAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private PasscodeOptions Options => options.Value;

    /// <summary>
    /// Starts a challenge for <paramref name="address"/>. The mail goes out in the language of the page that
    /// asked for it (the request culture), kept with the queued mail because the request is gone by then.
    /// </summary>
    public async Task<PasscodeStart> StartAsync(string address, Guid? messageId, CancellationToken cancellationToken)
    {
        address = AddressNormalizer.Normalize(address);
        var now = time.GetUtcNow();
        await EnsureAddressRowAsync(address, cancellationToken);

        // One start per address at a time, or concurrent requests all pass the throttle below: the
        // no-op update holds the address row's lock until commit (PostgreSQL); SQLite's transaction
        // (BEGIN IMMEDIATE) already serialises writers.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.RecipientLockouts.Where(l => l.Address == address)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ConsecutiveFailures, l => l.ConsecutiveFailures), cancellationToken);
        if (await WaitBeforeNextAsync(address, now, cancellationToken) is { } wait)
        {
            return new PasscodeStart.Throttled(wait);
        }

        var deliverable = await db.Recipients.AnyAsync(r => r.Address == address && r.RevokedAt == null, cancellationToken);
        Guid? tenantId = messageId is null ? null : await db.Messages.Where(m => m.Id == messageId).Select(m => (Guid?)m.TenantId).SingleOrDefaultAsync(cancellationToken);
        var challenge = new PasscodeChallenge
        {
            Id = Guid.CreateVersion7(now),
            Address = address,
            MessageId = messageId,
            ReferenceCode = NewReferenceCode(),
            CodeHash = [],
            CreatedAt = now,
            ExpiresAt = now + Options.Lifetime,
            Deliverable = deliverable,
        };
        var code = NewCode();
        challenge.CodeHash = HashCode(challenge.Id, code);
        db.PasscodeChallenges.Add(challenge);
        if (deliverable)
        {
            db.OutboundMails.Add(new OutboundMailRecord
            {
                Id = Guid.CreateVersion7(now),
                TenantId = tenantId ?? Guid.Empty,
                MessageId = messageId,
                Kind = OutboundMailKind.Passcode,
                ToAddress = address,
                Status = OutboundMailStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
                SealedPayload = SealForOutbox(code, challenge.ReferenceCode, challenge.ExpiresAt),
                Language = RecipientLanguages.OfCurrentRequest(),
            });
            await audit.AddAsync(AuditEventKind.PasscodeSent, address, messageId, challenge.ReferenceCode, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (deliverable)
        {
            outbox.Notify();
        }

        return new PasscodeStart.Started(challenge.Id, challenge.ReferenceCode, challenge.ExpiresAt);
    }

    /// <summary>
    /// How long <paramref name="address"/> must wait before <see cref="StartAsync"/> would send another passcode
    /// (zero when it may now), so the code page can count down to its "send a new code" button. The same rules
    /// as <see cref="StartAsync"/> and the same answer for any address, so it reveals no more than asking does.
    /// </summary>
    public async Task<TimeSpan> ResendWaitAsync(string address, CancellationToken cancellationToken) =>
        await WaitBeforeNextAsync(AddressNormalizer.Normalize(address), time.GetUtcNow(), cancellationToken) ?? TimeSpan.Zero;

    public async Task<PasscodeCheck> VerifyAsync(Guid challengeId, string? code, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var challenge = await db.PasscodeChallenges.AsNoTracking().SingleOrDefaultAsync(c => c.Id == challengeId, cancellationToken);
        if (challenge is null)
        {
            return new PasscodeCheck.Dead();
        }

        var lockout = await db.RecipientLockouts.AsNoTracking().SingleOrDefaultAsync(l => l.Address == challenge.Address, cancellationToken);
        if (lockout?.CooldownUntil > now)
        {
            return new PasscodeCheck.CoolingDown(lockout.CooldownUntil.Value - now);
        }

        if (challenge.ConsumedAt is not null || challenge.BurnedAt is not null || challenge.ExpiresAt <= now)
        {
            return new PasscodeCheck.Dead();
        }

        // Take one of the challenge's tries before comparing anything, in one conditional update:
        // however many requests arrive at once, at most MaxAttemptsPerChallenge codes are compared.
        var max = Options.MaxAttemptsPerChallenge;
        var claimed = await db.PasscodeChallenges
            .Where(c => c.Id == challengeId && c.ConsumedAt == null && c.BurnedAt == null && c.ExpiresAt > now && c.FailedAttempts < max)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.FailedAttempts, c => c.FailedAttempts + 1), cancellationToken);
        if (claimed != 1)
        {
            return new PasscodeCheck.Dead();
        }

        // The same work whether or not the address is a recipient: the hash is always computed.
        var normalized = new string((code ?? string.Empty).Where(char.IsAsciiDigit).ToArray());
        var hashMatches = CryptographicOperations.FixedTimeEquals(HashCode(challenge.Id, normalized), challenge.CodeHash);
        var matches = hashMatches & challenge.Deliverable & normalized.Length == Digits;
        if (!matches)
        {
            return await RecordFailureAsync(challenge, now, cancellationToken);
        }

        // Single use even under concurrent submissions: only one conditional update can win. The
        // winning try was no failure: it is given back.
        var won = await db.PasscodeChallenges
            .Where(c => c.Id == challengeId && c.ConsumedAt == null && c.BurnedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ConsumedAt, now).SetProperty(c => c.FailedAttempts, c => c.FailedAttempts - 1), cancellationToken);
        if (won != 1)
        {
            return new PasscodeCheck.Dead();
        }

        await db.RecipientLockouts.Where(l => l.Address == challenge.Address)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ConsecutiveFailures, 0).SetProperty(l => l.CooldownUntil, (DateTimeOffset?)null), cancellationToken);

        // Remembered only here, once the reader has proved the mailbox is theirs: a stranger typing an
        // address into the sign-in page must not choose the language of someone else's mail.
        await languages.RememberAsync(db, challenge.Address, RecipientLanguages.OfCurrentRequest(), cancellationToken);
        return new PasscodeCheck.Verified(challenge.Address, challenge.MessageId);
    }

    /// <summary>Opens what <see cref="SealForOutbox"/> sealed, for the mail dispatcher.</summary>
    public static (string Code, string ReferenceCode, DateTimeOffset ExpiresAt) OpenFromOutbox(MasterKeyHolder master, byte[] sealedPayload)
    {
        var key = master.Key.DeriveSubkey("omeportal/outbox/passcode/v1");
        var nonce = sealedPayload.AsSpan(0, 12);
        var tag = sealedPayload.AsSpan(sealedPayload.Length - 16);
        var cipher = sealedPayload.AsSpan(12, sealedPayload.Length - 28);
        var plain = new byte[cipher.Length];
        using var gcm = new AesGcm(key, 16);
        gcm.Decrypt(nonce, cipher, tag, plain, "omeportal/passcode"u8);
        var parts = Encoding.UTF8.GetString(plain).Split('\n');
        return (parts[0], parts[1], DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));
    }

    private async Task<PasscodeCheck> RecordFailureAsync(PasscodeChallenge challenge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The try was already counted on the challenge when it was taken.
        var attempts = await db.PasscodeChallenges.Where(c => c.Id == challenge.Id).Select(c => c.FailedAttempts).SingleAsync(cancellationToken);
        if (attempts >= Options.MaxAttemptsPerChallenge)
        {
            await db.PasscodeChallenges.Where(c => c.Id == challenge.Id && c.BurnedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.BurnedAt, now), cancellationToken);
        }

        // Counted in SQL: a read-modify-write in .NET loses counts when failures arrive at once. The
        // address row exists: StartAsync made it before the challenge.
        await db.RecipientLockouts.Where(l => l.Address == challenge.Address)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ConsecutiveFailures, l => l.ConsecutiveFailures + 1), cancellationToken);
        var maxFailures = Options.MaxConsecutiveFailures;
        var lockedOut = await db.RecipientLockouts.Where(l => l.Address == challenge.Address && l.ConsecutiveFailures >= maxFailures)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.CooldownUntil, now + Options.Cooldown).SetProperty(l => l.ConsecutiveFailures, 0), cancellationToken);
        metrics.PasscodeFailed();
        if (lockedOut > 0)
        {
            metrics.LockedOut();
        }

        // Looked up for any address (an address with no messages records nothing), so the work hardly differs.
        await audit.RecordAsync(
            AuditEventKind.PasscodeFailed, challenge.Address, challenge.MessageId,
            attempts >= Options.MaxAttemptsPerChallenge ? $"{challenge.ReferenceCode}; burned" : $"{challenge.ReferenceCode}; attempt {attempts}",
            cancellationToken);

        return attempts >= Options.MaxAttemptsPerChallenge
            ? new PasscodeCheck.Dead()
            : new PasscodeCheck.Wrong(Options.MaxAttemptsPerChallenge - attempts);
    }

    /// <summary>The throttle of <see cref="StartAsync"/>: a cool-down, the resend interval, the hourly cap; null when a passcode may go.</summary>
    private async Task<TimeSpan?> WaitBeforeNextAsync(string address, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lockout = await db.RecipientLockouts.AsNoTracking().SingleOrDefaultAsync(l => l.Address == address, cancellationToken);
        if (lockout?.CooldownUntil > now)
        {
            return lockout.CooldownUntil.Value - now;
        }

        var hourAgo = now.AddHours(-1);
        var recent = await db.PasscodeChallenges.AsNoTracking()
            .Where(c => c.Address == address && c.CreatedAt > hourAgo)
            .Select(c => c.CreatedAt)
            .ToListAsync(cancellationToken);
        if (recent.Count > 0 && recent.Max() + Options.ResendInterval > now)
        {
            return recent.Max() + Options.ResendInterval - now;
        }

        if (recent.Count >= Options.MaxPerHour)
        {
            return recent.Min().AddHours(1) - now;
        }

        return null;
    }

    /// <summary>
    /// The per-address row (failures, cool-down), created on first use by whichever request gets there
    /// first. <c>ON CONFLICT DO NOTHING</c> (SQLite and PostgreSQL alike) rather than insert-and-catch:
    /// concurrent first requests are normal here and must not log database errors.
    /// </summary>
    private Task EnsureAddressRowAsync(string address, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "RecipientLockouts" ("Address", "ConsecutiveFailures") VALUES ({address}, 0) ON CONFLICT ("Address") DO NOTHING""",
            cancellationToken);

    /// <summary>8 digits: HOTP (RFC 4226) of a fresh 160-bit random key, so the digits come from the CSPRNG.</summary>
    private static string NewCode() =>
        new Hotp(KeyGeneration.GenerateRandomKey(20), OtpHashMode.Sha1, Digits).ComputeHOTP(0);

    private static string NewReferenceCode() =>
        string.Create(6, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = ReferenceAlphabet[RandomNumberGenerator.GetInt32(ReferenceAlphabet.Length)];
            }
        });

    private byte[] HashCode(Guid challengeId, string code)
    {
        var key = master.Key.DeriveSubkey("omeportal/passcode/v1");
        return HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{challengeId:N}:{code}"));
    }

    // The code must reach the mail dispatcher but must not rest in plaintext: sealed with a key derived from the master key.
    private byte[] SealForOutbox(string code, string reference, DateTimeOffset expiresAt)
    {
        var key = master.Key.DeriveSubkey("omeportal/outbox/passcode/v1");
        var plain = Encoding.UTF8.GetBytes($"{code}\n{reference}\n{expiresAt.ToUnixTimeMilliseconds()}");
        var output = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(output.AsSpan(0, 12), plain, output.AsSpan(12, plain.Length), output.AsSpan(12 + plain.Length), "omeportal/passcode"u8);
        return output;
    }
}
