using System.Security.Cryptography;

namespace OmePortal.Core.Vault;

/// <summary>
/// A random 256-bit key per message. Every blob of the message (content, render model, sealed
/// values) is encrypted under a subkey derived from it (see <see cref="VaultStream"/>); the key
/// itself is stored only wrapped by a <see cref="TenantKey"/> version (AES-256 KWP).
/// </summary>
/// <remarks>
/// <para><b>Crypto-shredding:</b> deleting the wrapped message key makes all of the message's
/// ciphertext unreadable at once, wherever copies of it (backups, replicas, blob storage) live.
/// Revocation and expiry do exactly that.</para>
/// <para><b>Rotation:</b> re-wrapping under a new tenant key version keeps the same key, so content
/// encrypted earlier stays readable without being re-encrypted.</para>
/// <para>Key bytes are pinned, zeroed on <see cref="Dispose"/>, and never shown by <see cref="ToString"/>.</para>
/// </remarks>
public sealed class MessageKey : IDisposable
{
    /// <summary>Key size: 32 bytes (256 bits).</summary>
    public const int KeySizeInBytes = 32;

    private readonly byte[] _key;
    private bool _disposed;

    private MessageKey(ReadOnlySpan<byte> key)
    {
        _key = GC.AllocateArray<byte>(KeySizeInBytes, pinned: true);
        key.CopyTo(_key);
    }

    /// <summary>Size in bytes of the output of <see cref="WrapWith"/> (40).</summary>
    public static int WrappedSize => Aes.GetKeyWrapPaddedLength(KeySizeInBytes);

    /// <summary>Generates a new random message key.</summary>
    public static MessageKey Generate()
    {
        Span<byte> key = stackalloc byte[KeySizeInBytes];
        try
        {
            RandomNumberGenerator.Fill(key);
            return new MessageKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Wraps this key under a tenant key version, for storage next to the message.</summary>
    public byte[] WrapWith(TenantKey tenantKey)
    {
        ArgumentNullException.ThrowIfNull(tenantKey);
        return KeyWrap.Wrap(tenantKey.KeyBytes, KeyBytes);
    }

    /// <summary>Unwraps a stored message key.</summary>
    /// <exception cref="VaultIntegrityException">Wrong tenant key (version) or corrupt bytes.</exception>
    public static MessageKey Unwrap(TenantKey tenantKey, ReadOnlySpan<byte> wrapped)
    {
        ArgumentNullException.ThrowIfNull(tenantKey);
        Span<byte> key = stackalloc byte[KeySizeInBytes];
        try
        {
            KeyWrap.Unwrap(tenantKey.KeyBytes, wrapped, key, "message key");
            return new MessageKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>A second key with the same bytes, disposed on its own (for a key kept for reuse while each user disposes theirs).</summary>
    public MessageKey Copy() => new(KeyBytes);

    internal ReadOnlySpan<byte> KeyBytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>Never reveals key bytes.</summary>
    public override string ToString() => "MessageKey(redacted)";

    /// <summary>Zeroes the key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        _disposed = true;
    }
}
