using System.Security.Cryptography;
using OmePortal.Core.Vault;

namespace OmePortal.Core.Tests.Vault;

/// <summary>How a test reads a blob back: through a seekable or a forward-only source, sync or async.</summary>
public enum ReadMode
{
    SeekableAsync,
    SeekableSync,
    NonSeekableAsync,
    NonSeekableSync,
}

internal static class VaultTestSupport
{
    public const int S = VaultStream.SegmentSize;
    public const int H = VaultStream.HeaderSize;
    public const int T = VaultStream.TagSize;
    public const int CS = S + T;

    public static readonly BlobContext Context = new(
        Guid.Parse("0b5f4a8e-6a7c-4f7e-9a51-1d2c3b4a5f60"),
        Guid.Parse("7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"),
        BlobPurpose.Content);

    public static IEnumerable<object[]> AllReadModes() => Enum.GetValues<ReadMode>().Select(m => new object[] { m });

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    public static async Task<byte[]> EncryptAsync(MessageKey key, BlobContext context, byte[] plaintext)
    {
        using var output = new MemoryStream();
        long written = await VaultStream.EncryptAsync(key, context, new MemoryStream(plaintext, writable: false), output);
        Assert.Equal(output.Length, written);
        return output.ToArray();
    }

    /// <summary>Decrypts a whole blob the way <paramref name="mode"/> says; throws what the vault throws.</summary>
    public static async Task<byte[]> DecryptAsync(MessageKey key, BlobContext context, byte[] ciphertext, ReadMode mode)
    {
        Stream source = mode is ReadMode.SeekableAsync or ReadMode.SeekableSync
            ? new MemoryStream(ciphertext, writable: false)
            : new ForwardOnlyStream(new MemoryStream(ciphertext, writable: false), maxChunk: 7777);
        using var output = new MemoryStream();
        await using (Stream plain = VaultStream.OpenDecrypt(key, context, source))
        {
            Assert.Equal(mode is ReadMode.SeekableAsync or ReadMode.SeekableSync, plain.CanSeek);
            if (mode is ReadMode.SeekableAsync or ReadMode.NonSeekableAsync)
            {
                await plain.CopyToAsync(output);
            }
            else
            {
                // Odd-sized sync reads, so segment boundaries fall inside reads.
                byte[] buffer = new byte[10_007];
                int n;
                while ((n = plain.Read(buffer, 0, buffer.Length)) > 0)
                {
                    output.Write(buffer, 0, n);
                }
            }
        }

        return output.ToArray();
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>The byte range of segment <paramref name="index"/> in a blob (tag included).</summary>
    public static (int Start, int Length) Segment(byte[] ciphertext, int index)
    {
        int start = H + (index * CS);
        return (start, Math.Min(CS, ciphertext.Length - start));
    }
}

/// <summary>
/// A forward-only view of a stream: not seekable, no length, and each read returns at most
/// <c>maxChunk</c> bytes (like a network stream). Records what was asked of it.
/// </summary>
internal sealed class ForwardOnlyStream(Stream inner, int maxChunk = int.MaxValue) : Stream
{
    public long TotalRead { get; private set; }

    public int LargestRequest { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        LargestRequest = Math.Max(LargestRequest, buffer.Length);
        int n = inner.Read(buffer[..Math.Min(buffer.Length, maxChunk)]);
        TotalRead += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        LargestRequest = Math.Max(LargestRequest, buffer.Length);
        await Task.Yield();
        int n = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, maxChunk)], cancellationToken);
        TotalRead += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A seekable stream wrapper that counts the bytes read through it.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long TotalRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        TotalRead += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken);
        TotalRead += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
