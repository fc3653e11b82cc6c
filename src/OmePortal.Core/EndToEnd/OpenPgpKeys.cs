using Org.BouncyCastle.Bcpg.OpenPgp;

namespace OmePortal.Core.EndToEnd;

/// <summary>Reading binary or armored OpenPGP keys and picking the subkey to encrypt to or sign with.</summary>
public static class OpenPgpKeys
{
    public static PgpPublicKeyRing ReadPublicKeyRing(byte[] key)
    {
        using var input = PgpUtilities.GetDecoderStream(new MemoryStream(key, writable: false));
        return new PgpPublicKeyRing(input);
    }

    public static PgpSecretKeyRing ReadSecretKeyRing(byte[] key)
    {
        using var input = PgpUtilities.GetDecoderStream(new MemoryStream(key, writable: false));
        return new PgpSecretKeyRing(input);
    }

    /// <summary>
    /// The newest key of the ring that can encrypt, is not revoked and has not expired; null when there is none.
    /// Subkeys come after the primary key in a ring, so the newest usable subkey wins over an encrypting primary.
    /// </summary>
    public static PgpPublicKey? EncryptionKey(PgpPublicKeyRing ring) =>
        ring.GetPublicKeys().Where(key => key.IsEncryptionKey && !key.HasRevocation() && !HasExpired(key, DateTime.UtcNow)).LastOrDefault();

    /// <summary>A secret key of the ring that can sign and holds its private part; the primary key first.</summary>
    public static PgpSecretKey? SigningKey(PgpSecretKeyRing ring) =>
        ring.GetSecretKeys().FirstOrDefault(key => key.IsSigningKey && !key.IsPrivateKeyEmpty && !HasExpired(key.PublicKey, DateTime.UtcNow));

    public static bool HasExpired(PgpPublicKey key, DateTime utcNow)
    {
        var validSeconds = key.GetValidSeconds();
        return validSeconds > 0 && key.CreationTime.AddSeconds(validSeconds) <= utcNow;
    }

    /// <summary>A User ID "Name &lt;address&gt;" or a bare address names the address (compared case-insensitively).</summary>
    public static bool UserIdNames(string userId, string address)
    {
        var open = userId.LastIndexOf('<');
        var close = userId.LastIndexOf('>');
        var inside = open >= 0 && close > open ? userId[(open + 1)..close] : userId;
        return string.Equals(inside.Trim(), address, StringComparison.OrdinalIgnoreCase);
    }
}
