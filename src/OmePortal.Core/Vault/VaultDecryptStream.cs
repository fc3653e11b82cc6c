using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;

namespace OmePortal.Core.Vault;

/// <summary>
/// The plaintext view of a vault blob returned by <see cref="VaultStream.OpenDecrypt"/>: decrypts
/// one segment at a time into a pooled buffer (in place), verifies it, and only then copies bytes
/// out. When a read starts at a segment boundary with room for the whole segment, the segment is
/// decrypted straight into the caller's buffer (GCM clears it if the tag does not verify), which
/// saves a copy for <see cref="Stream.CopyToAsync(Stream)"/> and other large reads.
/// </summary>
internal sealed class VaultDecryptStream : Stream
{
    private enum BufferState
    {
        /// <summary>Nothing loaded.</summary>
        Empty,

        /// <summary>The buffer holds the unverified ciphertext of segment <c>_bufferIndex</c>.</summary>
        Ciphertext,

        /// <summary>The buffer holds the verified plaintext of segment <c>_bufferIndex</c>.</summary>
        Plaintext,

        /// <summary>Segment <c>_bufferIndex</c> was verified and handed out whole; its bytes are not kept.</summary>
        Consumed,
    }

    private readonly byte[] _messageKey;
    private readonly BlobContext _context;
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly bool _seekable;
    private readonly long _origin;

    private byte[]? _buffer;
    private int _bufferUsed; // high-water mark, zeroed before the buffer goes back to the pool
    private SegmentCipher? _cipher;

    // Seekable layout, from the ciphertext length.
    private bool _layoutKnown;
    private long _plaintextLength;
    private long _segmentCount;
    private int _lastSegmentLength;
    private bool _tailVerified;

    // The segment in the buffer.
    private BufferState _state;
    private long _bufferIndex = -1;
    private int _bufferLength; // ciphertext length (with tag) when Ciphertext, plaintext length otherwise
    private bool _bufferFinal;

    // Non-seekable read-ahead: the byte read past a full segment to learn it was not the last.
    private bool _hasCarry;
    private byte _carry;

    private long _position;
    private bool _failed;
    private bool _disposed;

    public VaultDecryptStream(ReadOnlySpan<byte> messageKey, BlobContext context, Stream inner, bool leaveOpen)
    {
        _messageKey = GC.AllocateArray<byte>(messageKey.Length, pinned: true);
        messageKey.CopyTo(_messageKey);
        _context = context;
        _inner = inner;
        _leaveOpen = leaveOpen;
        _seekable = inner.CanSeek;
        _origin = _seekable ? inner.Position : 0;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => _seekable && !_disposed;

    public override bool CanWrite => false;

    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_seekable)
            {
                throw new NotSupportedException("The ciphertext stream is not seekable, so the plaintext length is not known in advance.");
            }

            EnsureLayout();
            return _plaintextLength;
        }
    }

    public override long Position
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _position;
        }

        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_seekable)
            {
                throw new NotSupportedException("The ciphertext stream is not seekable.");
            }

            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_seekable)
        {
            throw new NotSupportedException("The ciphertext stream is not seekable.");
        }

        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0)
        {
            throw new IOException("An attempt was made to move the position before the beginning of the stream.");
        }

        _position = target;
        return target;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        ThrowIfNotReadable();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        ValueTask<bool> prepare = PrepareAsync(useAsync: false, CancellationToken.None);
        Debug.Assert(prepare.IsCompleted, "The synchronous path must complete synchronously.");
        return prepare.GetAwaiter().GetResult() ? Deliver(buffer) : 0;
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfNotReadable();
        if (buffer.IsEmpty)
        {
            return 0;
        }

        return await PrepareAsync(useAsync: true, cancellationToken).ConfigureAwait(false) ? Deliver(buffer.Span) : 0;
    }

    /// <summary>
    /// Makes sure the buffer holds the segment that contains <see cref="_position"/> (as ciphertext
    /// or verified plaintext with unread bytes). Returns false at the (verified) end.
    /// </summary>
    private async ValueTask<bool> PrepareAsync(bool useAsync, CancellationToken cancellationToken)
    {
        try
        {
            if (_cipher is null)
            {
                await ReadHeaderAsync(useAsync, cancellationToken).ConfigureAwait(false);
            }

            if (_seekable)
            {
                long last = _segmentCount - 1;
                long index = Math.Min(_position / VaultFormat.SegmentSize, last);
                if (!_tailVerified)
                {
                    // Authenticates the length up front: truncated or extended blobs fail before any
                    // byte is released. When this read is for the final segment anyway (always so for
                    // a one-segment blob), that read verifies it; a failure there is sticky.
                    if (index != last || _position >= _plaintextLength)
                    {
                        await FetchSeekableAsync(last, useAsync, cancellationToken).ConfigureAwait(false);
                        DecryptInPlace();
                    }

                    _tailVerified = true;
                }

                if (_position >= _plaintextLength)
                {
                    return false;
                }

                if (_bufferIndex == index && _state is BufferState.Plaintext or BufferState.Ciphertext)
                {
                    return true;
                }

                await FetchSeekableAsync(index, useAsync, cancellationToken).ConfigureAwait(false);
                return true;
            }

            switch (_state)
            {
                case BufferState.Ciphertext:
                    return true;
                case BufferState.Plaintext when _position - (_bufferIndex * VaultFormat.SegmentSize) < _bufferLength:
                    return true;
                case BufferState.Plaintext or BufferState.Consumed when _bufferFinal:
                    return false;
                default:
                    await FetchNextAsync(useAsync, cancellationToken).ConfigureAwait(false);
                    return true;
            }
        }
        catch (VaultIntegrityException)
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Decrypts the loaded segment if needed and copies out what fits.</summary>
    private int Deliver(Span<byte> destination)
    {
        Debug.Assert(_buffer is not null && _cipher is not null, "Prepared.");
        int offset = (int)(_position - (_bufferIndex * VaultFormat.SegmentSize));
        try
        {
            if (_state == BufferState.Ciphertext)
            {
                int plainLength = _bufferLength - VaultFormat.TagSize;
                if (offset == 0 && destination.Length >= plainLength)
                {
                    _cipher.Decrypt(
                        _bufferIndex,
                        _bufferFinal,
                        _buffer.AsSpan(0, plainLength),
                        _buffer.AsSpan(plainLength, VaultFormat.TagSize),
                        destination[..plainLength]);
                    _state = BufferState.Consumed;
                    _bufferLength = plainLength;
                    _position += plainLength;
                    return plainLength;
                }

                DecryptInPlace();
            }
        }
        catch (VaultIntegrityException)
        {
            _failed = true;
            throw;
        }

        Debug.Assert(_state == BufferState.Plaintext, "Verified plaintext.");
        int count = Math.Min(destination.Length, _bufferLength - offset);
        _buffer.AsSpan(offset, count).CopyTo(destination);
        _position += count;
        return count;
    }

    private void DecryptInPlace()
    {
        Debug.Assert(_buffer is not null && _cipher is not null && _state == BufferState.Ciphertext, "Ciphertext loaded.");
        int plainLength = _bufferLength - VaultFormat.TagSize;
        _state = BufferState.Empty;
        _cipher.Decrypt(
            _bufferIndex,
            _bufferFinal,
            _buffer.AsSpan(0, plainLength),
            _buffer.AsSpan(plainLength, VaultFormat.TagSize),
            _buffer.AsSpan(0, plainLength));
        _bufferLength = plainLength;
        _state = BufferState.Plaintext;
    }

    private async ValueTask ReadHeaderAsync(bool useAsync, CancellationToken cancellationToken)
    {
        if (_seekable)
        {
            EnsureLayout();
            _inner.Position = _origin;
        }

        // A blob of one segment (a render model, most inline images) needs no full-segment buffer: a full
        // one is 128 KB once the pool rounds it up, an array on the large object heap, and when many
        // readers at once outrun the pool each new one costs a full collection.
        _buffer ??= ArrayPool<byte>.Shared.Rent(_seekable && _segmentCount == 1
            ? Math.Max(VaultFormat.HeaderSize, _lastSegmentLength)
            : VaultFormat.CiphertextSegmentSize + 1);
        int read = await ReadInnerAsync(0, VaultFormat.HeaderSize, useAsync, cancellationToken).ConfigureAwait(false);
        if (read < VaultFormat.HeaderSize)
        {
            throw new VaultIntegrityException("The blob is truncated (no complete header).");
        }

        ReadOnlySpan<byte> header = _buffer.AsSpan(0, VaultFormat.HeaderSize);
        VaultFormat.ValidateHeader(header);
        _cipher = SegmentCipher.Create(_messageKey, _context, header);
        CryptographicOperations.ZeroMemory(_messageKey); // only the blob's subkey is needed from here on
    }

    private void EnsureLayout()
    {
        if (_layoutKnown)
        {
            return;
        }

        if (!VaultFormat.TryGetLayout(_inner.Length - _origin, out _plaintextLength, out _segmentCount, out _lastSegmentLength))
        {
            _failed = true;
            throw new VaultIntegrityException("The blob has an impossible length (truncated or extended).");
        }

        _layoutKnown = true;
    }

    private async ValueTask FetchSeekableAsync(long index, bool useAsync, CancellationToken cancellationToken)
    {
        _state = BufferState.Empty;
        bool final = index == _segmentCount - 1;
        int length = final ? _lastSegmentLength : VaultFormat.CiphertextSegmentSize;
        _inner.Position = _origin + VaultFormat.HeaderSize + (index * VaultFormat.CiphertextSegmentSize);
        int read = await ReadInnerAsync(0, length, useAsync, cancellationToken).ConfigureAwait(false);
        if (read < length)
        {
            throw new VaultIntegrityException("The blob is truncated.");
        }

        _bufferIndex = index;
        _bufferLength = length;
        _bufferFinal = final;
        _state = BufferState.Ciphertext;
    }

    private async ValueTask FetchNextAsync(bool useAsync, CancellationToken cancellationToken)
    {
        Debug.Assert(_buffer is not null, "Header read.");
        long index = _bufferIndex + 1;
        _state = BufferState.Empty;
        int start = 0;
        if (_hasCarry)
        {
            _buffer[0] = _carry;
            _hasCarry = false;
            start = 1;
        }

        // Read one byte past a full segment: if it exists, this segment is not the final one.
        const int Wanted = VaultFormat.CiphertextSegmentSize + 1;
        int read = start + await ReadInnerAsync(start, Wanted - start, useAsync, cancellationToken).ConfigureAwait(false);
        bool final;
        int length;
        if (read == Wanted)
        {
            _carry = _buffer[VaultFormat.CiphertextSegmentSize];
            _hasCarry = true;
            final = false;
            length = VaultFormat.CiphertextSegmentSize;
        }
        else
        {
            final = true;
            length = read;
            if (length < VaultFormat.TagSize)
            {
                throw new VaultIntegrityException("The blob is truncated (the stream ended without a final segment).");
            }
        }

        _bufferIndex = index;
        _bufferLength = length;
        _bufferFinal = final;
        _state = BufferState.Ciphertext;
    }

    private async ValueTask<int> ReadInnerAsync(int offset, int count, bool useAsync, CancellationToken cancellationToken)
    {
        Debug.Assert(_buffer is not null, "Buffer rented.");
        _bufferUsed = Math.Max(_bufferUsed, offset + count);
        return useAsync
            ? await _inner.ReadAtLeastAsync(_buffer.AsMemory(offset, count), count, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false)
            : _inner.ReadAtLeast(_buffer.AsSpan(offset, count), count, throwOnEndOfStream: false);
    }

    private void ThrowIfNotReadable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new VaultIntegrityException("The encrypted data failed authentication earlier; the stream cannot be read further.");
        }
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("The plaintext stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The plaintext stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            Release();
            if (disposing && !_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            Release();
            if (!_leaveOpen)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
            }
        }

        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        CryptographicOperations.ZeroMemory(_messageKey);
        _cipher?.Dispose();
        _cipher = null;
        if (_buffer is not null)
        {
            CryptographicOperations.ZeroMemory(_buffer.AsSpan(0, _bufferUsed));
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _state = BufferState.Empty;
    }
}
