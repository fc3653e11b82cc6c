using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OmePortal.Core.Vault;

/// <summary>
/// One version of a tenant's 256-bit key. It wraps the tenant's message keys and is itself stored
/// only wrapped by the <see cref="MasterKey"/> with AES-256 KWP (RFC 5649 / SP 800-38F).
/// </summary>
/// <remarks>
/// <para><b>Why a middle layer:</b> rotation. A new version is generated and a background job
/// unwraps each message key with the old version and re-wraps it with the new one (40 bytes per
/// message); the content blobs are never touched, because they are encrypted under the message key,
/// which rotation does not change. An old version is retired once no message key is wrapped by it.</para>
/// <para><b>Identity binding:</b> KWP has no associated data, so the wrapped payload is the key
/// followed by the tenant id and version. <see cref="Unwrap"/> checks both, so a wrapped tenant key
/// row copied to another tenant or version fails with <see cref="VaultIntegrityException"/> rather
/// than silently becoming that tenant's key.</para>
/// <para>Key bytes are pinned, zeroed on <see cref="Dispose"/>, and never shown by <see cref="ToString"/>.</para>
/// </remarks>
public sealed class TenantKey : IDisposable
{
    /// <summary>Key size: 32 bytes (AES-256).</summary>
    public const int KeySizeInBytes = 32;

    // key(32) ‖ tenant id (16, big-endian/RFC 4122 order) ‖ version (4, big-endian)
    private const int PayloadSize = KeySizeInBytes + 16 + 4;

    private readonly byte[] _key;
    private bool _disposed;

    private TenantKey(Guid tenantId, int version, ReadOnlySpan<byte> key)
    {
        TenantId = tenantId;
        Version = version;
        _key = GC.AllocateArray<byte>(KeySizeInBytes, pinned: true);
        key.CopyTo(_key);
    }

    /// <summary>The tenant this key belongs to.</summary>
    public Guid TenantId { get; }

    /// <summary>The key version (key id within the tenant).</summary>
    public int Version { get; }

    /// <summary>Size in bytes of the output of <see cref="WrapWith"/>.</summary>
    public static int WrappedSize => Aes.GetKeyWrapPaddedLength(PayloadSize);

    /// <summary>Generates a new random key version for a tenant.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is negative.</exception>
    public static TenantKey Generate(Guid tenantId, int version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        Span<byte> key = stackalloc byte[KeySizeInBytes];
        try
        {
            RandomNumberGenerator.Fill(key);
            return new TenantKey(tenantId, version, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Wraps this key (bound to its tenant id and version) under the master key, for storage.</summary>
    public byte[] WrapWith(MasterKey master)
    {
        ArgumentNullException.ThrowIfNull(master);
        Span<byte> payload = stackalloc byte[PayloadSize];
        try
        {
            WritePayload(payload, KeyBytes, TenantId, Version);
            return KeyWrap.Wrap(master.KeyBytes, payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>Unwraps a stored tenant key.</summary>
    /// <exception cref="VaultIntegrityException">
    /// Wrong master key, corrupt bytes, or the wrapped key belongs to another tenant id or version.
    /// </exception>
    public static TenantKey Unwrap(MasterKey master, Guid tenantId, int version, ReadOnlySpan<byte> wrapped)
    {
        ArgumentNullException.ThrowIfNull(master);
        Span<byte> payload = stackalloc byte[PayloadSize];
        Span<byte> expected = stackalloc byte[PayloadSize - KeySizeInBytes];
        try
        {
            KeyWrap.Unwrap(master.KeyBytes, wrapped, payload, "tenant key");
            WriteIdentity(expected, tenantId, version);
            if (!CryptographicOperations.FixedTimeEquals(payload[KeySizeInBytes..], expected))
            {
                throw new VaultIntegrityException("The wrapped tenant key belongs to another tenant or key version.");
            }

            return new TenantKey(tenantId, version, payload[..KeySizeInBytes]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    private static void WritePayload(Span<byte> payload, ReadOnlySpan<byte> key, Guid tenantId, int version)
    {
        key.CopyTo(payload);
        WriteIdentity(payload[KeySizeInBytes..], tenantId, version);
    }

    private static void WriteIdentity(Span<byte> destination, Guid tenantId, int version)
    {
        tenantId.TryWriteBytes(destination[..16], bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(destination.Slice(16, 4), version);
    }

    internal ReadOnlySpan<byte> KeyBytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>Names the tenant and version; never reveals key bytes.</summary>
    public override string ToString() => $"TenantKey({TenantId}, v{Version}, redacted)";

    /// <summary>Zeroes the key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_key);
        _disposed = true;
    }
}
