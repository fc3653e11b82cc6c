using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using OmePortal.Core.Mime;

namespace OmePortal.Core.RecipientKeys;

/// <summary>
/// Whether an OpenPGP public key may be used to encrypt to an address now: the primary key is neither
/// revoked nor expired, a User ID carrying the address has a valid self-certification and is not revoked,
/// and at least one subkey (or the primary key itself) is flagged for encryption by a valid binding
/// signature, not revoked and not expired. Every signature that counts is verified with BouncyCastle;
/// a revocation or binding that does not verify is ignored, as GnuPG does.
/// </summary>
public static class OpenPgpCheck
{
    private const int EncryptionFlags = PgpKeyFlags.CanEncryptCommunications | PgpKeyFlags.CanEncryptStorage;

    public static KeyCheck Check(byte[] transferablePublicKey, string address, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(transferablePublicKey);
        var ring = new PgpPublicKeyRing(transferablePublicKey);
        return Check(ring, address, now);
    }

    public static KeyCheck Check(PgpPublicKeyRing ring, string address, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var normalized = AddressNormalizer.Normalize(address);
        var primary = ring.GetPublicKey();

        if (VerifiedSignatures(primary, primary, PgpSignature.KeyRevocation, s => s.VerifyCertification(primary)).Any())
        {
            return new KeyCheck(KeyStatus.Revoked, "The key has been revoked by its owner.");
        }

        if (ExpiryOf(primary) is { } expiry && now >= expiry)
        {
            return new KeyCheck(KeyStatus.Expired, $"The key expired on {expiry:yyyy-MM-dd HH:mm} UTC.");
        }

        var userIdCheck = CheckUserId(primary, normalized);
        if (userIdCheck is not null)
        {
            return userIdCheck;
        }

        return CheckEncryptionKey(ring, primary, now);
    }

    private static KeyCheck? CheckUserId(PgpPublicKey primary, string address)
    {
        var matching = primary.GetUserIds().Where(u => OpenPgpNames.AddressOf(u) == address).ToList();
        if (matching.Count == 0)
        {
            var named = primary.GetUserIds().Select(OpenPgpNames.AddressOf).OfType<string>().Distinct().ToList();
            return new KeyCheck(KeyStatus.WrongAddress, named.Count == 0
                ? "No User ID of the key carries an e-mail address."
                : $"The key's User IDs name {string.Join(", ", named.Take(5))}, not {address}.");
        }

        var revoked = false;
        foreach (var userId in matching)
        {
            var certifications = SignaturesForId(primary, userId)
                .Where(s => s.KeyId == primary.KeyId && (IsCertification(s.SignatureType) || s.SignatureType == PgpSignature.CertificationRevocation))
                .Where(s => Verifies(s, primary, sig => sig.VerifyCertification(userId, primary)))
                .OrderBy(s => s.CreationTime)
                .ToList();
            if (certifications.Count == 0)
            {
                continue;
            }

            // The newest self-signature on a User ID decides, so a User ID revoked and later certified again counts as valid.
            if (certifications[^1].SignatureType == PgpSignature.CertificationRevocation)
            {
                revoked = true;
                continue;
            }

            return null;
        }

        return revoked
            ? new KeyCheck(KeyStatus.Revoked, $"The User ID carrying {address} has been revoked by the key's owner.")
            : new KeyCheck(KeyStatus.WrongAddress, $"The User ID carrying {address} has no valid self-signature.");
    }

    private static KeyCheck CheckEncryptionKey(PgpPublicKeyRing ring, PgpPublicKey primary, DateTimeOffset now)
    {
        var sawExpired = false;
        var sawRevoked = false;
        foreach (var key in ring.GetPublicKeys())
        {
            if (!key.IsEncryptionKey)
            {
                continue;
            }

            int flags;
            if (key.IsMasterKey)
            {
                flags = PrimaryKeyFlags(primary);
            }
            else
            {
                var bindings = VerifiedSignatures(key, primary, PgpSignature.SubkeyBinding, s => s.VerifyCertification(primary, key))
                    .OrderBy(s => s.CreationTime).ToList();
                if (bindings.Count == 0)
                {
                    continue;
                }

                if (VerifiedSignatures(key, primary, PgpSignature.SubkeyRevocation, s => s.VerifyCertification(primary, key)).Any())
                {
                    sawRevoked = true;
                    continue;
                }

                var binding = bindings[^1];
                flags = binding.HasSubpackets && binding.GetHashedSubPackets().HasSubpacket(SignatureSubpacketTag.KeyFlags)
                    ? binding.GetHashedSubPackets().GetKeyFlags()
                    : EncryptionFlags;
            }

            if ((flags & EncryptionFlags) == 0)
            {
                continue;
            }

            if (ExpiryOf(key) is { } expiry && now >= expiry)
            {
                sawExpired = true;
                continue;
            }

            return KeyCheck.Usable($"Encryption key {key.KeyId:X16} is valid.");
        }

        return sawRevoked && !sawExpired
            ? new KeyCheck(KeyStatus.Revoked, "The key's encryption subkey has been revoked.")
            : sawExpired
                ? new KeyCheck(KeyStatus.Expired, "The key's encryption subkey has expired.")
                : new KeyCheck(KeyStatus.NoEncryptionKey, "The key has no valid encryption subkey (it can only sign).");
    }

    /// <summary>The key flags the newest verified self-certification of the primary key gives it; without any, the algorithm decides.</summary>
    private static int PrimaryKeyFlags(PgpPublicKey primary)
    {
        var newest = primary.GetSignatures().OfType<PgpSignature>()
            .Where(s => s.KeyId == primary.KeyId && s.HasSubpackets && s.GetHashedSubPackets().HasSubpacket(SignatureSubpacketTag.KeyFlags))
            .OrderByDescending(s => s.CreationTime)
            .FirstOrDefault();
        return newest?.GetHashedSubPackets().GetKeyFlags() ?? EncryptionFlags;
    }

    private static DateTimeOffset? ExpiryOf(PgpPublicKey key)
    {
        var seconds = key.GetValidSeconds();
        return seconds > 0 ? new DateTimeOffset(DateTime.SpecifyKind(key.CreationTime, DateTimeKind.Utc)).AddSeconds(seconds) : null;
    }

    private static bool IsCertification(int type) =>
        type is PgpSignature.DefaultCertification or PgpSignature.NoCertification or PgpSignature.CasualCertification or PgpSignature.PositiveCertification;

    private static IEnumerable<PgpSignature> SignaturesForId(PgpPublicKey key, string userId) =>
        key.GetSignaturesForId(userId) ?? Enumerable.Empty<PgpSignature>();

    /// <summary>Signatures of one type on <paramref name="key"/> made by <paramref name="primary"/> that verify.</summary>
    private static IEnumerable<PgpSignature> VerifiedSignatures(PgpPublicKey key, PgpPublicKey primary, int type, Func<PgpSignature, bool> verify) =>
        key.GetSignaturesOfType(type).Where(s => s.KeyId == primary.KeyId && Verifies(s, primary, verify));

    private static bool Verifies(PgpSignature signature, PgpPublicKey signer, Func<PgpSignature, bool> verify)
    {
        try
        {
            signature.InitVerify(signer);
            return verify(signature);
        }
        catch (PgpException)
        {
            return false;
        }
    }
}
