using OmePortal.Core.Vault;
using static OmePortal.Core.Tests.Vault.VaultTestSupport;

namespace OmePortal.Core.Tests.Vault;

public sealed class VaultSealTests
{
    private static readonly BlobContext SealedContext = Context with { Purpose = BlobPurpose.Sealed };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(43)]
    [InlineData(S)]
    [InlineData((2 * S) + 5)]
    public void SealOpen_RoundTrips(int size)
    {
        using var key = MessageKey.Generate();
        byte[] value = RandomBytes(size);

        byte[] sealedValue = VaultStream.Seal(key, SealedContext, value);

        Assert.Equal(VaultStream.CiphertextLength(size), sealedValue.Length);
        Assert.Equal(value, VaultStream.Open(key, SealedContext, sealedValue));
    }

    [Fact]
    public async Task Seal_OutputIsStreamFormat_OpenDecryptReadsIt()
    {
        using var key = MessageKey.Generate();
        byte[] value = RandomBytes(S + 9);

        byte[] sealedValue = VaultStream.Seal(key, SealedContext, value);

        Assert.Equal(value, await DecryptAsync(key, SealedContext, sealedValue, ReadMode.NonSeekableSync));
    }

    [Fact]
    public async Task Open_StreamEncryptedBlob_ReturnsPlaintext()
    {
        using var key = MessageKey.Generate();
        byte[] value = RandomBytes((2 * S) + 1);

        byte[] blob = await EncryptAsync(key, SealedContext, value);

        Assert.Equal(value, VaultStream.Open(key, SealedContext, blob));
    }

    [Fact]
    public void Open_EveryByteFlipped_Throws()
    {
        using var key = MessageKey.Generate();
        byte[] sealedValue = VaultStream.Seal(key, SealedContext, "link-token-0123456789"u8);

        for (int i = 0; i < sealedValue.Length; i++)
        {
            byte[] tampered = (byte[])sealedValue.Clone();
            tampered[i] ^= 0x40;
            Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext, tampered));
        }
    }

    [Fact]
    public void Open_TruncatedOrExtended_Throws()
    {
        using var key = MessageKey.Generate();
        byte[] sealedValue = VaultStream.Seal(key, SealedContext, RandomBytes(50));
        byte[] multi = VaultStream.Seal(key, SealedContext, RandomBytes((2 * S) + 50));

        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext, sealedValue[..^1]));
        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext, sealedValue[..H]));
        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext, []));
        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext, Concat(sealedValue, [0])));
        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext, multi[..(H + (2 * CS))]));
    }

    [Fact]
    public void Open_WrongKeyOrContext_Throws()
    {
        using var key = MessageKey.Generate();
        using var otherKey = MessageKey.Generate();
        byte[] sealedValue = VaultStream.Seal(key, SealedContext, RandomBytes(32));

        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(otherKey, SealedContext, sealedValue));
        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext with { TenantId = Guid.NewGuid() }, sealedValue));
        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext with { MessageId = Guid.NewGuid() }, sealedValue));
        Assert.Throws<VaultIntegrityException>(() => VaultStream.Open(key, SealedContext with { Purpose = BlobPurpose.Content }, sealedValue));
    }

    [Fact]
    public void Seal_SameValueTwice_DiffersEachTime()
    {
        using var key = MessageKey.Generate();

        byte[] first = VaultStream.Seal(key, SealedContext, "same"u8);
        byte[] second = VaultStream.Seal(key, SealedContext, "same"u8);

        Assert.NotEqual(first, second);
    }
}
