using System.Security.Cryptography;
using OmePortal.Core.Vault;
using static OmePortal.Core.Tests.Vault.VaultTestSupport;

namespace OmePortal.Core.Tests.Vault;

public sealed class VaultStreamRoundTripTests
{
    public static IEnumerable<object[]> SizesAndModes()
    {
        int[] sizes = [0, 1, 100, S - 1, S, S + 1, 2 * S, (3 * S) + 17];
        return sizes.SelectMany(size => Enum.GetValues<ReadMode>().Select(mode => new object[] { size, mode }));
    }

    [Theory]
    [MemberData(nameof(SizesAndModes))]
    public async Task RoundTrip_VariousSizes_ReturnsPlaintext(int size, ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(size);

        byte[] ciphertext = await EncryptAsync(key, Context, plaintext);
        byte[] decrypted = await DecryptAsync(key, Context, ciphertext, mode);

        Assert.Equal(VaultStream.CiphertextLength(size), ciphertext.Length);
        Assert.Equal(plaintext, decrypted);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(S)]
    [InlineData(S + 1)]
    [InlineData((3 * S) + 17)]
    public async Task RoundTrip_FromMemory_ReturnsPlaintext(int size)
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(size);
        using var output = new MemoryStream();

        long written = await VaultStream.EncryptAsync(key, Context, plaintext.AsMemory(), output);

        Assert.Equal(VaultStream.CiphertextLength(size), written);
        Assert.Equal(written, output.Length);
        Assert.Equal(plaintext, await DecryptAsync(key, Context, output.ToArray(), ReadMode.NonSeekableAsync));
    }

    [Fact]
    public async Task Encrypt_FromExposedMemoryStreamAtOffset_EncryptsRestAndAdvances()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes((2 * S) + 3);
        var source = new MemoryStream();
        source.Write(plaintext);
        source.Position = 10;
        using var output = new MemoryStream();

        long written = await VaultStream.EncryptAsync(key, Context, source, output);

        Assert.Equal(VaultStream.CiphertextLength(plaintext.Length - 10), written);
        Assert.Equal(source.Length, source.Position);
        Assert.Equal(plaintext[10..], await DecryptAsync(key, Context, output.ToArray(), ReadMode.SeekableSync));
    }

    [Fact]
    public async Task Encrypt_FromStreamAtOffset_EncryptsRest()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(S + 3);
        var source = new MemoryStream(plaintext, writable: false) { Position = 7 };

        using var output = new MemoryStream();
        await VaultStream.EncryptAsync(key, Context, source, output);

        Assert.Equal(plaintext.Length, source.Position);
        Assert.Equal(plaintext[7..], await DecryptAsync(key, Context, output.ToArray(), ReadMode.SeekableAsync));
    }

    [Theory]
    [InlineData(0, H + T)]
    [InlineData(1, H + 1 + T)]
    [InlineData(S, H + S + T)]
    [InlineData(S + 1, H + S + 1 + (2 * T))]
    [InlineData(2 * S, H + (2 * S) + (2 * T))]
    public void CiphertextLength_Sizes_MatchesLayout(long plaintextLength, long expected)
    {
        // An exact multiple of the segment size ends with a full final segment, not an extra empty one;
        // an empty plaintext is one empty final segment.
        Assert.Equal(expected, VaultStream.CiphertextLength(plaintextLength));
    }

    [Fact]
    public void CiphertextLength_Negative_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VaultStream.CiphertextLength(-1));
    }

    [Fact]
    public async Task Encrypt_Header_StartsWithMagicAndVersion()
    {
        using var key = MessageKey.Generate();

        byte[] ciphertext = await EncryptAsync(key, Context, [1, 2, 3]);

        Assert.Equal("OMEV"u8.ToArray(), ciphertext[..4]);
        Assert.Equal(1, ciphertext[4]);
    }

    [Fact]
    public async Task Encrypt_SamePlaintextTwice_ProducesDifferentCiphertext()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(1000);

        byte[] first = await EncryptAsync(key, Context, plaintext);
        byte[] second = await EncryptAsync(key, Context, plaintext);

        // Fresh salt (so a fresh subkey) and nonce prefix per blob.
        Assert.NotEqual(first[5..H], second[5..H]);
        Assert.NotEqual(first[H..], second[H..]);
    }

    [Fact]
    public async Task Encrypt_ContentAndRenderModelOfOneMessage_DifferInEverySegment()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = new byte[2 * S];
        var renderContext = Context with { Purpose = BlobPurpose.RenderModel };

        byte[] content = await EncryptAsync(key, Context, plaintext);
        byte[] render = await EncryptAsync(key, renderContext, plaintext);

        // Same key, same (all-zero) plaintext: a shared (key, nonce) pair would show as equal keystream.
        for (int i = 0; i < 2; i++)
        {
            (int start, int length) = Segment(content, i);
            Assert.NotEqual(content.AsSpan(start, 64).ToArray(), render.AsSpan(start, 64).ToArray());
            Assert.Equal(length, Segment(render, i).Length);
        }

        Assert.Equal(plaintext, await DecryptAsync(key, renderContext, render, ReadMode.SeekableAsync));
    }

    [Fact]
    public async Task RoundTrip_25MegabytesThroughForwardOnlyStreams_HashesMatch()
    {
        const long size = 25L * 1024 * 1024;
        using var key = MessageKey.Generate();
        using var source = new GeneratedStream(size, seed: 25);
        var ciphertext = new RecordingStream(source);

        long written = await VaultStream.EncryptAsync(key, Context, source, ciphertext);

        Assert.Equal(VaultStream.CiphertextLength(size), written);
        Assert.Equal(written, ciphertext.Length);
        Assert.Equal(size, source.Produced);
        // Streaming: the input was never asked for more than a segment at a time, and the first
        // segment was written out before more than two segments of input had been read.
        Assert.True(source.LargestRequest <= S, $"largest read request {source.LargestRequest}");
        Assert.True(ciphertext.InputReadAtFirstSegment <= 2L * S, $"input read before first segment: {ciphertext.InputReadAtFirstSegment}");

        ciphertext.Position = 0;
        var forwardOnly = new ForwardOnlyStream(ciphertext, maxChunk: 50_000);
        using var outputHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        await using (Stream plain = VaultStream.OpenDecrypt(key, Context, forwardOnly))
        {
            byte[] buffer = new byte[81_920];
            int n;
            while ((n = await plain.ReadAsync(buffer)) > 0)
            {
                outputHash.AppendData(buffer, 0, n);
                total += n;
            }
        }

        Assert.Equal(size, total);
        Assert.Equal(source.Hash, outputHash.GetHashAndReset());
        Assert.True(forwardOnly.LargestRequest <= CS + 1, $"largest ciphertext read request {forwardOnly.LargestRequest}");
    }

    [Fact]
    public async Task Decrypt_AtNonZeroOriginOfSeekableStream_ReadsBlob()
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(S + 5);
        byte[] blob = await EncryptAsync(key, Context, plaintext);
        var container = new MemoryStream(Concat(RandomBytes(10), blob));
        container.Position = 10;

        using Stream plain = VaultStream.OpenDecrypt(key, Context, container);
        using var output = new MemoryStream();
        plain.CopyTo(output);

        Assert.Equal(plaintext.Length, plain.Length);
        Assert.Equal(plaintext, output.ToArray());
    }

    [Fact]
    public async Task OpenDecrypt_LeaveOpenFalse_DisposesCiphertext()
    {
        using var key = MessageKey.Generate();
        var ciphertext = new MemoryStream(await EncryptAsync(key, Context, [1]));

        VaultStream.OpenDecrypt(key, Context, ciphertext).Dispose();

        Assert.False(ciphertext.CanRead);
    }

    [Fact]
    public async Task OpenDecrypt_LeaveOpenTrue_KeepsCiphertextOpen()
    {
        using var key = MessageKey.Generate();
        var ciphertext = new MemoryStream(await EncryptAsync(key, Context, [1]));

        VaultStream.OpenDecrypt(key, Context, ciphertext, leaveOpen: true).Dispose();

        Assert.True(ciphertext.CanRead);
    }

    [Fact]
    public async Task OpenDecrypt_MessageKeyDisposedAfterOpen_StillDecrypts()
    {
        var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(300);
        byte[] ciphertext = await EncryptAsync(key, Context, plaintext);

        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(ciphertext));
        key.Dispose();
        using var output = new MemoryStream();
        await plain.CopyToAsync(output);

        Assert.Equal(plaintext, output.ToArray());
    }

    [Fact]
    public async Task DecryptStream_ReadOnly_RejectsWrites()
    {
        using var key = MessageKey.Generate();
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(await EncryptAsync(key, Context, [1])));

        Assert.False(plain.CanWrite);
        Assert.Throws<NotSupportedException>(() => plain.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => plain.SetLength(0));
    }

    [Fact]
    public async Task Encrypt_Cancelled_Throws()
    {
        using var key = MessageKey.Generate();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => VaultStream.EncryptAsync(key, Context, new MemoryStream(new byte[10]), new MemoryStream(), cts.Token));
    }

    /// <summary>A forward-only source of deterministic pseudo-random bytes that hashes what it produces.</summary>
    private sealed class GeneratedStream(long length, int seed) : Stream
    {
        private readonly Random _random = new(seed);
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[]? _finalHash;

        public long Produced { get; private set; }

        public int LargestRequest { get; private set; }

        public byte[] Hash => _finalHash ??= _hash.GetHashAndReset();

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
            // Short reads on purpose (at most 40 000 bytes), like a network stream.
            int n = (int)Math.Min(Math.Min(buffer.Length, 40_000), length - Produced);
            Span<byte> chunk = buffer[..n];
            _random.NextBytes(chunk);
            _hash.AppendData(chunk);
            Produced += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => Task.FromResult(Read(buffer.AsSpan(offset, count)));

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
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A MemoryStream that notes how much input had been produced when the first segment (after the header) was written.</summary>
    private sealed class RecordingStream(GeneratedStream input) : MemoryStream
    {
        public long InputReadAtFirstSegment { get; private set; } = -1;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Note();
            base.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Note();
            base.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Note();
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Note();
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }

        private void Note()
        {
            if (InputReadAtFirstSegment < 0 && Length >= H)
            {
                InputReadAtFirstSegment = input.Produced;
            }
        }
    }
}
