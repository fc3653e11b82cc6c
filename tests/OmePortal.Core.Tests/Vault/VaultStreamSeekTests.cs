using OmePortal.Core.Vault;
using static OmePortal.Core.Tests.Vault.VaultTestSupport;

namespace OmePortal.Core.Tests.Vault;

public sealed class VaultStreamSeekTests
{
    private static readonly int Size = (3 * S) + (S / 2);

    [Fact]
    public async Task Seek_RandomAccessReads_EqualPlaintextSlices()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(Size);
        byte[] ciphertext = await EncryptAsync(key, Context, plaintext);
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(ciphertext));

        Assert.True(plain.CanSeek);
        Assert.Equal(Size, plain.Length);

        var random = new Random(7);
        var offsets = new List<long> { 0, 1, S - 1, S, S + 1, (2 * S) - 3, 2 * S, 3 * S, Size - 1 };
        offsets.AddRange(Enumerable.Range(0, 200).Select(_ => (long)random.Next(Size)));
        int[] counts = [1, 13, 4096, S - 1, S, S + 10, 2 * S];
        foreach (long offset in offsets)
        {
            foreach (int count in counts)
            {
                plain.Position = offset;
                byte[] buffer = new byte[count];
                int expected = (int)Math.Min(count, Size - offset);

                int read = await plain.ReadAtLeastAsync(buffer, count, throwOnEndOfStream: false);

                Assert.Equal(expected, read);
                Assert.True(plaintext.AsSpan((int)offset, expected).SequenceEqual(buffer.AsSpan(0, read)), $"offset {offset}, count {count}");
                Assert.Equal(offset + expected, plain.Position);
            }
        }
    }

    [Fact]
    public async Task Seek_SyncReadsBackwardsAcrossBoundaries_EqualPlaintextSlices()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(Size);
        byte[] ciphertext = await EncryptAsync(key, Context, plaintext);
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(ciphertext));

        for (long offset = Size - 50; offset > 0; offset -= S / 3)
        {
            Assert.Equal(offset, plain.Seek(offset, SeekOrigin.Begin));
            byte[] buffer = new byte[100];
            int read = plain.ReadAtLeast(buffer, 100, throwOnEndOfStream: false);
            Assert.Equal(Math.Min(100, Size - offset), read);
            Assert.True(plaintext.AsSpan((int)offset, read).SequenceEqual(buffer.AsSpan(0, read)), $"offset {offset}");
        }
    }

    [Fact]
    public async Task Seek_ToEndAndBeyond_ReadsNothing()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(Size);
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(await EncryptAsync(key, Context, plaintext)));
        byte[] buffer = new byte[10];

        Assert.Equal(Size, plain.Seek(0, SeekOrigin.End));
        Assert.Equal(0, plain.Read(buffer, 0, buffer.Length));
        plain.Position = Size + 1000;
        Assert.Equal(0, await plain.ReadAsync(buffer));
        Assert.Equal(-1, plain.ReadByte());
    }

    [Fact]
    public async Task Seek_FromEndAndCurrent_LandsWhereExpected()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(Size);
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(await EncryptAsync(key, Context, plaintext)));

        Assert.Equal(Size - 5, plain.Seek(-5, SeekOrigin.End));
        Assert.Equal(plaintext[Size - 5], plain.ReadByte());
        Assert.Equal(S + 1, plain.Seek(S - (Size - 4) + 1, SeekOrigin.Current) + 0);
        Assert.Equal(plaintext[S + 1], plain.ReadByte());
        Assert.Throws<IOException>(() => plain.Seek(-1, SeekOrigin.Begin));
        Assert.Throws<ArgumentOutOfRangeException>(() => plain.Position = -1);
    }

    [Fact]
    public async Task Seek_ExactMultipleOfSegmentSize_LastByteAndEnd()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(2 * S);
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(await EncryptAsync(key, Context, plaintext)));

        Assert.Equal(2 * S, plain.Length);
        plain.Position = (2 * S) - 1;
        Assert.Equal(plaintext[^1], plain.ReadByte());
        Assert.Equal(-1, plain.ReadByte());
    }

    [Fact]
    public async Task Seek_EmptyPlaintext_LengthZeroAndNoBytes()
    {
        using var key = MessageKey.Generate();
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(await EncryptAsync(key, Context, [])));

        Assert.Equal(0, plain.Length);
        Assert.Equal(-1, plain.ReadByte());
    }

    [Fact]
    public async Task Seek_ReadInMiddleOfLargeBlob_DecryptsOnlyNeededSegments()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(10 * S);
        var counting = new CountingStream(new MemoryStream(await EncryptAsync(key, Context, plaintext)));
        using Stream plain = VaultStream.OpenDecrypt(key, Context, counting);

        plain.Position = (5 * S) + 123;
        byte[] buffer = new byte[50];
        plain.ReadExactly(buffer);

        Assert.Equal(plaintext.AsSpan((5 * S) + 123, 50).ToArray(), buffer);
        // Header, the final segment (verified once, up front) and the segment read: nothing else.
        Assert.Equal(H + CS + CS, counting.TotalRead);
    }

    [Fact]
    public async Task Decrypt_OneSegmentBlob_ReadsCiphertextOnce()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(20 * 1024);
        byte[] ciphertext = await EncryptAsync(key, Context, plaintext);
        var counting = new CountingStream(new MemoryStream(ciphertext));
        using Stream plain = VaultStream.OpenDecrypt(key, Context, counting);

        using var output = new MemoryStream();
        plain.CopyTo(output);

        Assert.Equal(plaintext, output.ToArray());
        // The only segment is also the final one: verifying it up front and reading it are one fetch.
        Assert.Equal(ciphertext.Length, counting.TotalRead);
    }

    [Fact]
    public async Task Seek_ForwardOnlyCiphertext_NotSeekable()
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(10));
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new ForwardOnlyStream(new MemoryStream(ciphertext)));

        Assert.False(plain.CanSeek);
        Assert.Throws<NotSupportedException>(() => plain.Length);
        Assert.Throws<NotSupportedException>(() => plain.Position = 0);
        Assert.Throws<NotSupportedException>(() => plain.Seek(0, SeekOrigin.Begin));
        Assert.Equal(0, plain.Position);
        plain.ReadByte();
        Assert.Equal(1, plain.Position);
    }
}
