using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OmePortal.Core.Vault;

/// <summary>
/// The on-disk blob format (version 1):
/// <code>
/// header  = "OMEV" (4) ‖ version 0x01 (1) ‖ salt (16, random) ‖ nonce prefix (7, random)      = 28 bytes
/// segment = AES-256-GCM(subkey, nonce_i, plaintext_i, ad_i) ‖ tag (16)
/// blob    = header ‖ segment_0 ‖ … ‖ segment_(n-1)
/// </code>
/// Every segment but the last carries exactly <see cref="SegmentSize"/> plaintext bytes; the last
/// carries 0…<see cref="SegmentSize"/> (an empty plaintext is one empty final segment), so the
/// layout follows from the total length alone, which is what makes random access possible.
/// <list type="bullet">
/// <item><c>subkey = HKDF-SHA256-Expand(PRK: message key, info: label ‖ purpose ‖ tenant id ‖ message id ‖ salt)</c>:
/// a fresh key per blob (the random 128-bit salt alone makes it unique), so two blobs of one message
/// (content and render model, or two versions of either) never share a (key, nonce) pair even if a
/// nonce prefix repeated. The Extract step is skipped because the message key is already a uniformly
/// random 256-bit key (RFC 5869 §3.3); that halves the HMAC work per blob, which counts for small blobs.</item>
/// <item><c>nonce_i = prefix (7) ‖ i (uint32 big-endian) ‖ last (1: 0x01 for the final segment, else 0x00)</c>:
/// the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015), so a segment only
/// authenticates at its own position and only the real final segment authenticates as final.</item>
/// <item><c>ad_i = label ‖ tenant id (16) ‖ message id (16) ‖ purpose (1) ‖ header (28) ‖ i (4) ‖ last (1)</c>:
/// binds each segment to its tenant, message, purpose, header, position and finality, so a swapped,
/// reordered, truncated or extended blob, or any changed byte (header included), fails authentication.</item>
/// </list>
/// </summary>
internal static class VaultFormat
{
    public const byte FormatVersion = 1;
    public const int MagicSize = 4;
    public const int SaltSize = 16;
    public const int NoncePrefixSize = 7;
    public const int HeaderSize = MagicSize + 1 + SaltSize + NoncePrefixSize;
    public const int TagSize = 16;
    public const int NonceSize = 12;
    public const int SegmentSize = 64 * 1024;
    public const int CiphertextSegmentSize = SegmentSize + TagSize;

    /// <summary>Segment indexes are a uint32 in the nonce.</summary>
    public const long MaxSegments = 1L + uint.MaxValue;

    public static ReadOnlySpan<byte> Magic => "OMEV"u8;

    public static ReadOnlySpan<byte> AssociatedDataLabel => "OmePortal.Vault/v1 segment"u8;

    public static ReadOnlySpan<byte> KeyDerivationLabel => "OmePortal.Vault/v1 blob key"u8;

    public static void WriteNewHeader(Span<byte> header)
    {
        Magic.CopyTo(header);
        header[MagicSize] = FormatVersion;
        RandomNumberGenerator.Fill(header.Slice(MagicSize + 1, SaltSize + NoncePrefixSize));
    }

    public static void ValidateHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderSize || !header[..MagicSize].SequenceEqual(Magic) || header[MagicSize] != FormatVersion)
        {
            throw new VaultIntegrityException("The data is not a vault blob of a supported format version.");
        }
    }

    public static long CiphertextLength(long plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        long segments = plaintextLength == 0 ? 1 : ((plaintextLength - 1) / SegmentSize) + 1;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(segments, MaxSegments, nameof(plaintextLength));
        return HeaderSize + plaintextLength + (segments * TagSize);
    }

    /// <summary>Works out the layout of a blob from its total length; false if no valid blob has that length.</summary>
    public static bool TryGetLayout(long ciphertextLength, out long plaintextLength, out long segmentCount, out int lastSegmentLength)
    {
        plaintextLength = 0;
        segmentCount = 0;
        lastSegmentLength = 0;
        long body = ciphertextLength - HeaderSize;
        if (body < TagSize)
        {
            return false;
        }

        long count = ((body - 1) / CiphertextSegmentSize) + 1;
        long last = body - ((count - 1) * CiphertextSegmentSize);
        if (last < TagSize || count > MaxSegments)
        {
            return false;
        }

        plaintextLength = body - (count * TagSize);
        segmentCount = count;
        lastSegmentLength = (int)last;
        return true;
    }
}

/// <summary>
/// The per-blob AEAD state: the AES-256-GCM instance under the blob's HKDF subkey, and the nonce
/// and associated-data buffers, allocated once per blob and updated in place per segment (no
/// per-segment allocation).
/// </summary>
internal sealed class SegmentCipher : IDisposable
{
    private readonly AesGcm _aes;
    private readonly byte[] _nonce = new byte[VaultFormat.NonceSize];
    private readonly byte[] _associatedData;
    private readonly int _indexOffset;

    private SegmentCipher(ReadOnlySpan<byte> messageKey, in BlobContext context, ReadOnlySpan<byte> header)
    {
        ReadOnlySpan<byte> salt = header.Slice(VaultFormat.MagicSize + 1, VaultFormat.SaltSize);
        ReadOnlySpan<byte> prefix = header.Slice(VaultFormat.MagicSize + 1 + VaultFormat.SaltSize, VaultFormat.NoncePrefixSize);

        ReadOnlySpan<byte> kdfLabel = VaultFormat.KeyDerivationLabel;
        Span<byte> info = stackalloc byte[kdfLabel.Length + 1 + 16 + 16 + VaultFormat.SaltSize];
        kdfLabel.CopyTo(info);
        info[kdfLabel.Length] = (byte)context.Purpose;
        context.TenantId.TryWriteBytes(info.Slice(kdfLabel.Length + 1, 16), bigEndian: true, out _);
        context.MessageId.TryWriteBytes(info.Slice(kdfLabel.Length + 17, 16), bigEndian: true, out _);
        salt.CopyTo(info[(kdfLabel.Length + 33)..]);

        Span<byte> subkey = stackalloc byte[32];
        try
        {
            HKDF.Expand(HashAlgorithmName.SHA256, messageKey, subkey, info);
            _aes = new AesGcm(subkey, VaultFormat.TagSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(subkey);
        }

        prefix.CopyTo(_nonce);

        ReadOnlySpan<byte> adLabel = VaultFormat.AssociatedDataLabel;
        _associatedData = new byte[adLabel.Length + 16 + 16 + 1 + VaultFormat.HeaderSize + 4 + 1];
        Span<byte> ad = _associatedData;
        adLabel.CopyTo(ad);
        int at = adLabel.Length;
        context.TenantId.TryWriteBytes(ad.Slice(at, 16), bigEndian: true, out _);
        at += 16;
        context.MessageId.TryWriteBytes(ad.Slice(at, 16), bigEndian: true, out _);
        at += 16;
        ad[at++] = (byte)context.Purpose;
        header[..VaultFormat.HeaderSize].CopyTo(ad.Slice(at, VaultFormat.HeaderSize));
        at += VaultFormat.HeaderSize;
        _indexOffset = at;
    }

    /// <summary>Creates the cipher for a blob; the header must already be validated.</summary>
    public static SegmentCipher Create(ReadOnlySpan<byte> messageKey, in BlobContext context, ReadOnlySpan<byte> header)
        => new(messageKey, context, header);

    public void Encrypt(long index, bool final, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        Prepare(index, final);
        _aes.Encrypt(_nonce, plaintext, ciphertext, tag, _associatedData);
    }

    /// <summary>Decrypts and verifies one segment; on failure the plaintext destination is cleared and nothing is released.</summary>
    public void Decrypt(long index, bool final, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Prepare(index, final);
        try
        {
            _aes.Decrypt(_nonce, ciphertext, tag, plaintext, _associatedData);
        }
        catch (CryptographicException ex)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new VaultIntegrityException(
                "The encrypted data failed authentication (tampered, truncated, reordered, or opened with the wrong key or context).", ex);
        }
    }

    private void Prepare(long index, bool final)
    {
        if ((ulong)index > uint.MaxValue)
        {
            throw new VaultIntegrityException("The blob has more segments than the format allows.");
        }

        byte flag = final ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(_nonce.AsSpan(VaultFormat.NoncePrefixSize, 4), (uint)index);
        _nonce[VaultFormat.NonceSize - 1] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(_associatedData.AsSpan(_indexOffset, 4), (uint)index);
        _associatedData[_indexOffset + 4] = flag;
    }

    public void Dispose() => _aes.Dispose();
}
