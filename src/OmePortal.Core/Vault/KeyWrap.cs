using System.Security.Cryptography;

namespace OmePortal.Core.Vault;

/// <summary>
/// AES-256 key wrap with padding (RFC 5649, NIST SP 800-38F "KWP"), the wrapping ASVS asks for.
/// KWP is deterministic and authenticated: a wrong key-encryption key or any changed byte makes
/// the unwrap fail, which is reported as <see cref="VaultIntegrityException"/>.
/// </summary>
internal static class KeyWrap
{
    /// <summary>Wraps <paramref name="payload"/> under <paramref name="kek"/>.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> payload)
    {
        using var aes = Aes.Create();
        aes.SetKey(kek);
        return aes.EncryptKeyWrapPadded(payload);
    }

    /// <summary>
    /// Unwraps <paramref name="wrapped"/> into <paramref name="payload"/>, which must be exactly the
    /// length that was wrapped; anything else is an integrity failure.
    /// </summary>
    public static void Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, Span<byte> payload, string what)
    {
        if (wrapped.Length != Aes.GetKeyWrapPaddedLength(payload.Length))
        {
            throw new VaultIntegrityException($"The wrapped {what} has the wrong length.");
        }

        // KWP output is the padded payload plus the 8-byte integrity block; the payload is at most that.
        Span<byte> plain = stackalloc byte[wrapped.Length - 8];
        try
        {
            using var aes = Aes.Create();
            aes.SetKey(kek);
            int written;
            try
            {
                written = aes.DecryptKeyWrapPadded(wrapped, plain);
            }
            catch (CryptographicException ex)
            {
                throw new VaultIntegrityException($"The wrapped {what} failed authentication (wrong key or corrupt bytes).", ex);
            }

            if (written != payload.Length)
            {
                throw new VaultIntegrityException($"The wrapped {what} has the wrong length.");
            }

            plain[..written].CopyTo(payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }
}
