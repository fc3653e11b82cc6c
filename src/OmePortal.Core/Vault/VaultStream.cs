using System.Buffers;
using System.Security.Cryptography;

namespace OmePortal.Core.Vault;

/// <summary>
/// Encryption at rest for message blobs: segmented AES-256-GCM streaming (the STREAM
/// construction), and a one-shot form for small values. The exact layout is documented on
/// <c>VaultFormat</c>; in short:
/// <code>
/// header (28)  = "OMEV" ‖ 0x01 ‖ salt (16) ‖ nonce prefix (7)
/// segment i    = AES-256-GCM ciphertext of ≤ 64 KiB ‖ 16-byte tag
/// subkey       = HKDF-SHA256-Expand(message key, label ‖ purpose ‖ tenant id ‖ message id ‖ salt)
/// nonce i      = prefix (7) ‖ i (uint32 BE) ‖ last flag (1)
/// associated i = label ‖ tenant id ‖ message id ‖ purpose ‖ header ‖ i ‖ last flag
/// </code>
/// </summary>
/// <remarks>
/// <para><b>Why segments:</b> a 30 MB message must never be held whole in memory more than once,
/// and attachments are served by streaming with random access. Each 64 KiB segment is verified
/// before any of its plaintext is released, so a reader never acts on unauthenticated bytes, and
/// a seek decrypts only the segment it lands in.</para>
/// <para><b>Why a per-blob subkey:</b> GCM fails catastrophically if a (key, nonce) pair repeats.
/// All blobs of a message share the message key; deriving a fresh subkey from a random 128-bit salt
/// per blob (HKDF, with the salt and the purpose in the info) means the content and the render model of one
/// message, or a blob re-encrypted later, never share a (key, nonce) pair, and the 7-byte random
/// prefix is only a second line of defence.</para>
/// <para><b>Why the index, the last flag and the context in every segment:</b> each segment only
/// authenticates at its own position, under its own tenant/message/purpose, and only the real final
/// segment authenticates as final. Therefore swapping ciphertext between messages, tenants or
/// purposes, reordering or duplicating segments, dropping the final segment, cutting a segment,
/// appending bytes after the final segment, or changing any byte (the header is in every
/// segment's associated data) all raise <see cref="VaultIntegrityException"/>.</para>
/// <para><b>Cost:</b> buffers come from <see cref="ArrayPool{T}"/> (two segments to encrypt, one to
/// decrypt), segments are encrypted and decrypted in place, and the nonce and associated data are
/// updated in place: memory is O(segment size), with no per-segment allocation. Pooled buffers
/// are zeroed before they go back to the pool. What remains is one copy in from the source stream
/// and one copy out to the destination per segment; plaintext already in memory (the
/// <see cref="ReadOnlyMemory{T}"/> overload, or a plain <see cref="MemoryStream"/>) skips the copy in.</para>
/// </remarks>
public static class VaultStream
{
    /// <summary>Plaintext bytes per segment (64 KiB).</summary>
    public const int SegmentSize = VaultFormat.SegmentSize;

    /// <summary>Bytes of header before the first segment.</summary>
    public const int HeaderSize = VaultFormat.HeaderSize;

    /// <summary>Bytes of authentication tag per segment.</summary>
    public const int TagSize = VaultFormat.TagSize;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> (read from its current position to its end, one segment
    /// at a time, never whole) to <paramref name="destination"/>.
    /// </summary>
    /// <returns>The number of ciphertext bytes written (equal to <see cref="CiphertextLength"/> of the plaintext length).</returns>
    /// <remarks>
    /// Reads one segment ahead: the segment being written is flagged final only when the input is
    /// known to have ended, so a plaintext that is an exact multiple of <see cref="SegmentSize"/>
    /// still ends with a (full) final segment, and an empty plaintext is one empty final segment.
    /// </remarks>
    public static async Task<long> EncryptAsync(
        MessageKey key,
        BlobContext context,
        Stream plaintext,
        Stream destination,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(destination);
        if (!plaintext.CanRead)
        {
            throw new ArgumentException("The plaintext stream must be readable.", nameof(plaintext));
        }

        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        }

        if (plaintext.GetType() == typeof(MemoryStream)
            && ((MemoryStream)plaintext).TryGetBuffer(out ArraySegment<byte> visible))
        {
            // The bytes are already in memory: encrypt straight from them (one copy fewer). Only for
            // MemoryStream itself, since a subclass may override how it reads.
            var memory = (MemoryStream)plaintext;
            int start = (int)Math.Min(memory.Position, visible.Count);
            long result = await EncryptAsync(key, context, visible.AsMemory(start), destination, cancellationToken).ConfigureAwait(false);
            memory.Position = visible.Count;
            return result;
        }

        byte[] header = new byte[VaultFormat.HeaderSize];
        VaultFormat.WriteNewHeader(header);
        using SegmentCipher cipher = SegmentCipher.Create(key.KeyBytes, context, header);

        // Two pooled buffers: the segment being encrypted (in place) and the next one, read ahead to
        // learn whether the current one is final (rented only if the plaintext fills the first).
        byte[] current = ArrayPool<byte>.Shared.Rent(VaultFormat.CiphertextSegmentSize);
        byte[]? next = null;
        int used = VaultFormat.CiphertextSegmentSize; // bytes to zero in each buffer before it goes back to the pool
        try
        {
            await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);
            long written = header.Length;

            int currentLength = await ReadSegmentAsync(plaintext, current, cancellationToken).ConfigureAwait(false);
            used = currentLength + VaultFormat.TagSize;
            for (long index = 0; ; index++)
            {
                int nextLength = 0;
                bool final = currentLength < SegmentSize;
                if (!final)
                {
                    next ??= ArrayPool<byte>.Shared.Rent(VaultFormat.CiphertextSegmentSize);
                    nextLength = await ReadSegmentAsync(plaintext, next, cancellationToken).ConfigureAwait(false);
                    final = nextLength == 0;
                }

                if (!final && index + 1 >= VaultFormat.MaxSegments)
                {
                    throw new InvalidOperationException("The plaintext is too large for one vault blob.");
                }

                cipher.Encrypt(
                    index,
                    final,
                    current.AsSpan(0, currentLength),
                    current.AsSpan(0, currentLength),
                    current.AsSpan(currentLength, VaultFormat.TagSize));
                int segmentLength = currentLength + VaultFormat.TagSize;
                await destination.WriteAsync(current.AsMemory(0, segmentLength), cancellationToken).ConfigureAwait(false);
                written += segmentLength;
                if (final)
                {
                    return written;
                }

                (current, next) = (next!, current);
                currentLength = nextLength;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current.AsSpan(0, used));
            ArrayPool<byte>.Shared.Return(current);
            if (next is not null)
            {
                CryptographicOperations.ZeroMemory(next.AsSpan(0, used));
                ArrayPool<byte>.Shared.Return(next);
            }
        }
    }

    /// <summary>
    /// Encrypts plaintext that is already in memory (e.g. the MIME bytes intake holds) to
    /// <paramref name="destination"/>, in the same format as the stream overload, without copying
    /// the plaintext first: each segment is encrypted from <paramref name="plaintext"/> straight into
    /// a pooled buffer and written out.
    /// </summary>
    /// <returns>The number of ciphertext bytes written (equal to <see cref="CiphertextLength"/> of the plaintext length).</returns>
    public static async Task<long> EncryptAsync(
        MessageKey key,
        BlobContext context,
        ReadOnlyMemory<byte> plaintext,
        Stream destination,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        }

        byte[] header = new byte[VaultFormat.HeaderSize];
        VaultFormat.WriteNewHeader(header);
        using SegmentCipher cipher = SegmentCipher.Create(key.KeyBytes, context, header);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(VaultFormat.CiphertextSegmentSize);
        int used = Math.Min(plaintext.Length, SegmentSize) + VaultFormat.TagSize;
        try
        {
            await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);
            long written = header.Length;
            int offset = 0;
            for (long index = 0; ; index++)
            {
                int length = Math.Min(SegmentSize, plaintext.Length - offset);
                bool final = offset + length == plaintext.Length;
                cipher.Encrypt(
                    index,
                    final,
                    plaintext.Span.Slice(offset, length),
                    buffer.AsSpan(0, length),
                    buffer.AsSpan(length, VaultFormat.TagSize));
                await destination.WriteAsync(buffer.AsMemory(0, length + VaultFormat.TagSize), cancellationToken).ConfigureAwait(false);
                written += length + VaultFormat.TagSize;
                offset += length;
                if (final)
                {
                    return written;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, used));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ValueTask<int> ReadSegmentAsync(Stream plaintext, byte[] buffer, CancellationToken cancellationToken)
        => plaintext.ReadAtLeastAsync(buffer.AsMemory(0, SegmentSize), SegmentSize, throwOnEndOfStream: false, cancellationToken);

    /// <summary>
    /// Opens a read-only stream of the plaintext of the blob that runs from the current position of
    /// <paramref name="ciphertext"/> to its end. It decrypts one segment at a time and verifies each before
    /// releasing any of its bytes.
    /// </summary>
    /// <remarks>
    /// <para>Nothing is read until the first read (so this does no I/O and does not throw for bad data).
    /// Every read may throw <see cref="VaultIntegrityException"/>; after one, the stream stays failed.</para>
    /// <para><b>Seekable ciphertext</b> (e.g. a file): the returned stream is seekable and its
    /// <see cref="Stream.Length"/> is known from the ciphertext length. Before releasing any bytes,
    /// the first read also verifies the final segment, so a truncated or extended blob is detected
    /// up front and Length is authenticated; a seek then costs one segment's decryption.
    /// <see cref="Stream.Length"/> throws <see cref="VaultIntegrityException"/> when no valid blob
    /// has the ciphertext's length.</para>
    /// <para><b>Non-seekable ciphertext</b> (e.g. a network stream): reads are sequential, the end
    /// is detected by reading one byte ahead, and end-of-stream is only reported after the final
    /// segment has been verified; a stream that ends without one (truncation) or continues after it
    /// (appended data) throws.</para>
    /// </remarks>
    public static Stream OpenDecrypt(MessageKey key, BlobContext context, Stream ciphertext, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(ciphertext);
        if (!ciphertext.CanRead)
        {
            throw new ArgumentException("The ciphertext stream must be readable.", nameof(ciphertext));
        }

        return new VaultDecryptStream(key.KeyBytes, context, ciphertext, leaveOpen);
    }

    /// <summary>The exact ciphertext length of a plaintext of <paramref name="plaintextLength"/> bytes.</summary>
    public static long CiphertextLength(long plaintextLength) => VaultFormat.CiphertextLength(plaintextLength);

    /// <summary>
    /// Encrypts a small value in one shot. The output is a blob in exactly the stream format (so the
    /// same binding rules apply and <see cref="OpenDecrypt"/> can read it too); use
    /// <see cref="BlobPurpose.Sealed"/> in the context unless the value is one of the other kinds.
    /// </summary>
    public static byte[] Seal(MessageKey key, BlobContext context, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] output = new byte[CiphertextLength(plaintext.Length)];
        Span<byte> header = output.AsSpan(0, VaultFormat.HeaderSize);
        VaultFormat.WriteNewHeader(header);
        using SegmentCipher cipher = SegmentCipher.Create(key.KeyBytes, context, header);

        int read = 0;
        int write = VaultFormat.HeaderSize;
        long index = 0;
        while (true)
        {
            int length = Math.Min(SegmentSize, plaintext.Length - read);
            bool final = read + length == plaintext.Length;
            cipher.Encrypt(
                index,
                final,
                plaintext.Slice(read, length),
                output.AsSpan(write, length),
                output.AsSpan(write + length, VaultFormat.TagSize));
            read += length;
            write += length + VaultFormat.TagSize;
            if (final)
            {
                return output;
            }

            index++;
        }
    }

    /// <summary>Decrypts and verifies a value made by <see cref="Seal"/> (or any blob of the stream format).</summary>
    /// <exception cref="VaultIntegrityException">Tampered, truncated or extended value, or the wrong key or context.</exception>
    public static byte[] Open(MessageKey key, BlobContext context, ReadOnlySpan<byte> sealedValue)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!VaultFormat.TryGetLayout(sealedValue.Length, out long plaintextLength, out long segmentCount, out int lastLength))
        {
            throw new VaultIntegrityException("The sealed value has an impossible length (truncated or extended).");
        }

        ReadOnlySpan<byte> header = sealedValue[..VaultFormat.HeaderSize];
        VaultFormat.ValidateHeader(header);
        using SegmentCipher cipher = SegmentCipher.Create(key.KeyBytes, context, header);

        byte[] output = new byte[plaintextLength];
        try
        {
            int read = VaultFormat.HeaderSize;
            for (long index = 0; index < segmentCount; index++)
            {
                bool final = index == segmentCount - 1;
                int segmentLength = final ? lastLength : VaultFormat.CiphertextSegmentSize;
                int plainLength = segmentLength - VaultFormat.TagSize;
                cipher.Decrypt(
                    index,
                    final,
                    sealedValue.Slice(read, plainLength),
                    sealedValue.Slice(read + plainLength, VaultFormat.TagSize),
                    output.AsSpan((int)(index * SegmentSize), plainLength));
                read += segmentLength;
            }

            return output;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(output);
            throw;
        }
    }
}
