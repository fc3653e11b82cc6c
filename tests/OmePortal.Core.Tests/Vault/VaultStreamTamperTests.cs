using OmePortal.Core.Vault;
using static OmePortal.Core.Tests.Vault.VaultTestSupport;

namespace OmePortal.Core.Tests.Vault;

public sealed class VaultStreamTamperTests
{
    // Three segments: two full ones and a short final one.
    private static readonly int ThreeSegmentSize = (2 * S) + 1000;

    private static async Task AssertRejectedAsync(MessageKey key, BlobContext context, byte[] ciphertext, ReadMode mode)
        => await Assert.ThrowsAsync<VaultIntegrityException>(() => DecryptAsync(key, context, ciphertext, mode));

    private static byte[] Flip(byte[] ciphertext, int position)
    {
        byte[] copy = (byte[])ciphertext.Clone();
        copy[position] ^= 0x01;
        return copy;
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_Untampered_Succeeds(ReadMode mode)
    {
        // The control for every test below: the same blob, untouched, decrypts.
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(ThreeSegmentSize);
        byte[] ciphertext = await EncryptAsync(key, Context, plaintext);

        Assert.Equal(plaintext, await DecryptAsync(key, Context, ciphertext, mode));
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_FlippedByteInHeader_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));

        for (int position = 0; position < H; position++)
        {
            await AssertRejectedAsync(key, Context, Flip(ciphertext, position), mode);
        }
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_FlippedByteInSegment_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));

        for (int segment = 0; segment < 3; segment++)
        {
            (int start, int length) = Segment(ciphertext, segment);
            var positions = Enumerable.Range(0, 40)
                .Concat(Enumerable.Range(0, length / 997).Select(i => i * 997))
                .Concat(Enumerable.Range(length - 40, 40))
                .Distinct();
            foreach (int offset in positions)
            {
                await AssertRejectedAsync(key, Context, Flip(ciphertext, start + offset), mode);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_FlippedByteInTag_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));

        for (int segment = 0; segment < 3; segment++)
        {
            (int start, int length) = Segment(ciphertext, segment);
            for (int offset = length - T; offset < length; offset++)
            {
                await AssertRejectedAsync(key, Context, Flip(ciphertext, start + offset), mode);
            }
        }
    }

    [Fact]
    public async Task Decrypt_EveryByteFlippedInSmallBlob_Throws()
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(200));

        for (int position = 0; position < ciphertext.Length; position++)
        {
            await AssertRejectedAsync(key, Context, Flip(ciphertext, position), ReadMode.SeekableSync);
            await AssertRejectedAsync(key, Context, Flip(ciphertext, position), ReadMode.NonSeekableAsync);
        }
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_TruncatedAtSegmentBoundary_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));

        // Dropping the final segment leaves a valid-looking blob of two full segments.
        await AssertRejectedAsync(key, Context, ciphertext[..(H + (2 * CS))], mode);
        await AssertRejectedAsync(key, Context, ciphertext[..(H + CS)], mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_TruncatedExactMultipleBlobAtSegmentBoundary_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(3 * S));

        await AssertRejectedAsync(key, Context, ciphertext[..(H + (2 * CS))], mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_TruncatedMidSegment_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));

        int[] cuts = [ciphertext.Length - 1, ciphertext.Length - T, H + (2 * CS) + 10, H + CS + 1000, H + 5, H, H - 1, 0];
        foreach (int cut in cuts)
        {
            await AssertRejectedAsync(key, Context, ciphertext[..cut], mode);
        }
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_OneSegmentBlobTruncated_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(500));

        await AssertRejectedAsync(key, Context, ciphertext[..^1], mode);
        await AssertRejectedAsync(key, Context, ciphertext[..^100], mode);
        await AssertRejectedAsync(key, Context, ciphertext[..(H + T)], mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_AppendedJunk_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] shortFinal = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));
        byte[] fullFinal = await EncryptAsync(key, Context, RandomBytes(2 * S));
        byte[] empty = await EncryptAsync(key, Context, []);

        foreach (byte[] ciphertext in new[] { shortFinal, fullFinal, empty })
        {
            await AssertRejectedAsync(key, Context, Concat(ciphertext, [0]), mode);
            await AssertRejectedAsync(key, Context, Concat(ciphertext, RandomBytes(T)), mode);
            await AssertRejectedAsync(key, Context, Concat(ciphertext, RandomBytes(CS)), mode);
        }
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_FinalSegmentRepeated_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(2 * S));
        (int start, int length) = Segment(ciphertext, 1);

        await AssertRejectedAsync(key, Context, Concat(ciphertext, ciphertext.AsSpan(start, length).ToArray()), mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_ReorderedSegments_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));
        byte[] swapped = (byte[])ciphertext.Clone();
        (int first, _) = Segment(ciphertext, 0);
        (int second, _) = Segment(ciphertext, 1);
        ciphertext.AsSpan(first, CS).CopyTo(swapped.AsSpan(second, CS));
        ciphertext.AsSpan(second, CS).CopyTo(swapped.AsSpan(first, CS));

        await AssertRejectedAsync(key, Context, swapped, mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_SegmentFromAnotherBlobOfSameKey_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(ThreeSegmentSize);
        byte[] a = await EncryptAsync(key, Context, plaintext);
        byte[] b = await EncryptAsync(key, Context, plaintext);

        for (int segment = 0; segment < 3; segment++)
        {
            (int start, int length) = Segment(a, segment);
            byte[] spliced = (byte[])a.Clone();
            b.AsSpan(start, length).CopyTo(spliced.AsSpan(start, length));
            await AssertRejectedAsync(key, Context, spliced, mode);
        }

        // Another blob's header on this blob's segments.
        byte[] otherHeader = (byte[])a.Clone();
        b.AsSpan(0, H).CopyTo(otherHeader);
        await AssertRejectedAsync(key, Context, otherHeader, mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_ContentSwappedBetweenMessages_Throws(ReadMode mode)
    {
        // Even if two messages shared a key, message B's context does not open message A's content.
        using var key = MessageKey.Generate();
        var messageA = Context;
        var messageB = Context with { MessageId = Guid.NewGuid() };
        byte[] contentA = await EncryptAsync(key, messageA, RandomBytes(1000));
        byte[] contentB = await EncryptAsync(key, messageB, RandomBytes(1000));

        await AssertRejectedAsync(key, messageB, contentA, mode);
        await AssertRejectedAsync(key, messageA, contentB, mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_WrongContext_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(S + 10));

        await AssertRejectedAsync(key, Context with { TenantId = Guid.NewGuid() }, ciphertext, mode);
        await AssertRejectedAsync(key, Context with { MessageId = Guid.NewGuid() }, ciphertext, mode);
        await AssertRejectedAsync(key, Context with { Purpose = BlobPurpose.RenderModel }, ciphertext, mode);
        await AssertRejectedAsync(key, Context with { Purpose = BlobPurpose.Sealed }, ciphertext, mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_WrongMessageKey_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();
        using var otherKey = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(S + 10));

        await AssertRejectedAsync(otherKey, Context, ciphertext, mode);
    }

    [Theory]
    [MemberData(nameof(AllReadModes), MemberType = typeof(VaultTestSupport))]
    public async Task Decrypt_EmptyCiphertext_Throws(ReadMode mode)
    {
        using var key = MessageKey.Generate();

        await AssertRejectedAsync(key, Context, [], mode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Decrypt_TamperedFirstSegment_ReleasesNoPlaintext(bool seekable)
    {
        using var key = MessageKey.Generate();
        byte[] plaintext = RandomBytes(2 * S);
        byte[] ciphertext = Flip(await EncryptAsync(key, Context, plaintext), H + 100);

        foreach (int size in new[] { 100, S })
        {
            // A small read goes through the internal buffer, a segment-sized one straight to the caller's buffer.
            Stream source = seekable ? new MemoryStream(ciphertext) : new ForwardOnlyStream(new MemoryStream(ciphertext));
            using Stream plain = VaultStream.OpenDecrypt(key, Context, source);
            byte[] destination = new byte[size];
            destination.AsSpan().Fill(0xAA);
            await Assert.ThrowsAsync<VaultIntegrityException>(() => plain.ReadAsync(destination).AsTask());
            Assert.All(destination, b => Assert.True(b is 0xAA or 0x00, $"released byte {b}"));
        }
    }

    [Fact]
    public async Task Decrypt_AfterFailure_StaysFailed()
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = Flip(await EncryptAsync(key, Context, RandomBytes(2 * S)), H + CS + 5);
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new ForwardOnlyStream(new MemoryStream(ciphertext)));

        byte[] buffer = new byte[S];
        Assert.Equal(S, await plain.ReadAtLeastAsync(buffer, S)); // segment 0 is intact
        await Assert.ThrowsAsync<VaultIntegrityException>(() => plain.ReadAsync(buffer).AsTask());
        await Assert.ThrowsAsync<VaultIntegrityException>(() => plain.ReadAsync(buffer).AsTask());
        Assert.Throws<VaultIntegrityException>(() => plain.ReadByte());
    }

    [Fact]
    public async Task Decrypt_SeekBackAfterFailure_StaysFailed()
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = Flip(await EncryptAsync(key, Context, RandomBytes(3 * S)), H + CS + 5);
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(ciphertext));

        plain.Position = S + 10;
        Assert.Throws<VaultIntegrityException>(() => plain.ReadByte());
        plain.Position = 0; // segment 0 is intact, but the blob has been shown to be tampered with

        Assert.Throws<VaultIntegrityException>(() => plain.ReadByte());
    }

    [Fact]
    public async Task Decrypt_SeekableTruncated_FailsBeforeReleasingAnyByte()
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(ThreeSegmentSize));
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(ciphertext[..(H + (2 * CS))]));

        // The final segment is checked on the first read, so even reading segment 0 fails.
        Assert.Throws<VaultIntegrityException>(() => plain.ReadByte());
    }

    [Fact]
    public async Task Length_ImpossibleCiphertextLength_Throws()
    {
        using var key = MessageKey.Generate();
        byte[] ciphertext = await EncryptAsync(key, Context, RandomBytes(S));
        using Stream plain = VaultStream.OpenDecrypt(key, Context, new MemoryStream(Concat(ciphertext, [1, 2, 3])));

        // A full segment followed by 3 bytes: no blob has this length.
        Assert.Throws<VaultIntegrityException>(() => plain.Length);
    }
}
