using OmePortal.Core.Vault;
using static OmePortal.Core.Tests.Vault.VaultTestSupport;

namespace OmePortal.Core.Tests.Vault;

public sealed class VaultKeyTests
{
    private static readonly Guid Tenant = Context.TenantId;

    [Fact]
    public void TenantKey_WrapUnwrap_RoundTrips()
    {
        using var master = MasterKey.Generate();
        using var tenantKey = TenantKey.Generate(Tenant, 3);

        byte[] wrapped = tenantKey.WrapWith(master);
        using var unwrapped = TenantKey.Unwrap(master, Tenant, 3, wrapped);

        Assert.Equal(TenantKey.WrappedSize, wrapped.Length);
        Assert.Equal(Tenant, unwrapped.TenantId);
        Assert.Equal(3, unwrapped.Version);
        Assert.Equal(tenantKey.KeyBytes.ToArray(), unwrapped.KeyBytes.ToArray());
        Assert.False(wrapped.AsSpan().IndexOf(tenantKey.KeyBytes) >= 0);
    }

    [Fact]
    public void TenantKey_UnwrapWithWrongMasterKey_Throws()
    {
        using var master = MasterKey.Generate();
        using var otherMaster = MasterKey.Generate();
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        byte[] wrapped = tenantKey.WrapWith(master);

        Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(otherMaster, Tenant, 1, wrapped));
    }

    [Fact]
    public void TenantKey_UnwrapCorruptBytes_Throws()
    {
        using var master = MasterKey.Generate();
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        byte[] wrapped = tenantKey.WrapWith(master);

        for (int i = 0; i < wrapped.Length; i++)
        {
            byte[] corrupt = (byte[])wrapped.Clone();
            corrupt[i] ^= 0x80;
            Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(master, Tenant, 1, corrupt));
        }

        Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(master, Tenant, 1, wrapped[..^8]));
        Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(master, Tenant, 1, Concat(wrapped, new byte[8])));
        Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(master, Tenant, 1, []));
    }

    [Fact]
    public void TenantKey_UnwrapAsOtherTenantOrVersion_Throws()
    {
        using var master = MasterKey.Generate();
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        byte[] wrapped = tenantKey.WrapWith(master);

        Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(master, Guid.NewGuid(), 1, wrapped));
        Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(master, Tenant, 2, wrapped));
    }

    [Fact]
    public void TenantKey_NegativeVersion_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TenantKey.Generate(Tenant, -1));
    }

    [Fact]
    public void MessageKey_WrapUnwrap_RoundTrips()
    {
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        using var messageKey = MessageKey.Generate();

        byte[] wrapped = messageKey.WrapWith(tenantKey);
        using var unwrapped = MessageKey.Unwrap(tenantKey, wrapped);

        Assert.Equal(40, wrapped.Length);
        Assert.Equal(MessageKey.WrappedSize, wrapped.Length);
        Assert.Equal(messageKey.KeyBytes.ToArray(), unwrapped.KeyBytes.ToArray());
    }

    [Fact]
    public void MessageKey_UnwrapWithWrongTenantKey_Throws()
    {
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        using var otherVersion = TenantKey.Generate(Tenant, 2);
        using var messageKey = MessageKey.Generate();
        byte[] wrapped = messageKey.WrapWith(tenantKey);

        Assert.Throws<VaultIntegrityException>(() => MessageKey.Unwrap(otherVersion, wrapped));
    }

    [Fact]
    public void MessageKey_UnwrapCorruptBytes_Throws()
    {
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        using var messageKey = MessageKey.Generate();
        byte[] wrapped = messageKey.WrapWith(tenantKey);

        for (int i = 0; i < wrapped.Length; i++)
        {
            byte[] corrupt = (byte[])wrapped.Clone();
            corrupt[i] ^= 0x01;
            Assert.Throws<VaultIntegrityException>(() => MessageKey.Unwrap(tenantKey, corrupt));
        }

        Assert.Throws<VaultIntegrityException>(() => MessageKey.Unwrap(tenantKey, wrapped[..^1]));
    }

    [Fact]
    public async Task Rotation_MessageKeyRewrappedWithNewTenantVersion_OldContentStillDecrypts()
    {
        using var master = MasterKey.Generate();
        byte[] plaintext = RandomBytes((2 * S) + 77);

        // Before rotation: tenant key v1 (stored wrapped), message key wrapped by v1, content encrypted.
        byte[] storedV1;
        byte[] storedMessageKey;
        byte[] ciphertext;
        using (var v1 = TenantKey.Generate(Tenant, 1))
        using (var messageKey = MessageKey.Generate())
        {
            storedV1 = v1.WrapWith(master);
            storedMessageKey = messageKey.WrapWith(v1);
            ciphertext = await EncryptAsync(messageKey, Context, plaintext);
        }

        // Rotation: new version v2; the job unwraps with v1 and re-wraps with v2.
        byte[] storedV2;
        using (var v1 = TenantKey.Unwrap(master, Tenant, 1, storedV1))
        using (var v2 = TenantKey.Generate(Tenant, 2))
        using (var messageKey = MessageKey.Unwrap(v1, storedMessageKey))
        {
            storedV2 = v2.WrapWith(master);
            storedMessageKey = messageKey.WrapWith(v2);
        }

        // After rotation (v1 retired): only v2 opens the message key, and the old ciphertext still decrypts.
        using var current = TenantKey.Unwrap(master, Tenant, 2, storedV2);
        using var rewrapped = MessageKey.Unwrap(current, storedMessageKey);
        Assert.Equal(plaintext, await DecryptAsync(rewrapped, Context, ciphertext, ReadMode.NonSeekableAsync));
        using var oldVersion = TenantKey.Unwrap(master, Tenant, 1, storedV1);
        Assert.Throws<VaultIntegrityException>(() => MessageKey.Unwrap(oldVersion, storedMessageKey));
    }

    [Fact]
    public async Task MessageKey_Shredded_ContentUnreadable()
    {
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        byte[] ciphertext;
        using (var messageKey = MessageKey.Generate())
        {
            _ = messageKey.WrapWith(tenantKey); // the stored copy, then deleted: crypto-shredding
            ciphertext = await EncryptAsync(messageKey, Context, RandomBytes(100));
        }

        // Without the wrapped key, the only way in is guessing a key, which fails authentication.
        using var guess = MessageKey.Generate();
        await Assert.ThrowsAsync<VaultIntegrityException>(() => DecryptAsync(guess, Context, ciphertext, ReadMode.SeekableAsync));
    }

    [Fact]
    public void Keys_ToString_DoNotRevealBytes()
    {
        using var master = MasterKey.Generate();
        using var tenantKey = TenantKey.Generate(Tenant, 4);
        using var messageKey = MessageKey.Generate();

        AssertRedacted(master.ToString(), master.KeyBytes.ToArray());
        AssertRedacted(tenantKey.ToString(), tenantKey.KeyBytes.ToArray());
        AssertRedacted(messageKey.ToString(), messageKey.KeyBytes.ToArray());
        Assert.Contains(Tenant.ToString(), tenantKey.ToString(), StringComparison.Ordinal);
        Assert.Contains("v4", tenantKey.ToString(), StringComparison.Ordinal);

        static void AssertRedacted(string text, byte[] key)
        {
            Assert.DoesNotContain(Convert.ToBase64String(key), text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(key), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(key)[..8], text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("redacted", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Keys_Dispose_ZeroesKeyBytesAndBlocksUse()
    {
        var master = MasterKey.Generate();
        var tenantKey = TenantKey.Generate(Tenant, 1);
        var messageKey = MessageKey.Generate();
        ReadOnlySpan<byte> masterBytes = master.KeyBytes;
        ReadOnlySpan<byte> tenantBytes = tenantKey.KeyBytes;
        ReadOnlySpan<byte> messageBytes = messageKey.KeyBytes;
        Assert.True(masterBytes.ContainsAnyExcept((byte)0));
        Assert.True(tenantBytes.ContainsAnyExcept((byte)0));
        Assert.True(messageBytes.ContainsAnyExcept((byte)0));

        master.Dispose();
        tenantKey.Dispose();
        messageKey.Dispose();

        Assert.False(masterBytes.ContainsAnyExcept((byte)0));
        Assert.False(tenantBytes.ContainsAnyExcept((byte)0));
        Assert.False(messageBytes.ContainsAnyExcept((byte)0));
        Assert.Throws<ObjectDisposedException>(() => tenantKey.WrapWith(MasterKey.Generate()));
        Assert.Throws<ObjectDisposedException>(() => messageKey.WrapWith(TenantKey.Generate(Tenant, 1)));
        Assert.Throws<ObjectDisposedException>(() => VaultStream.Seal(messageKey, Context, [1]));
    }

    [Fact]
    public void MessageKey_Copy_HasTheSameBytes_AndOutlivesTheOriginal()
    {
        using var tenantKey = TenantKey.Generate(Tenant, 1);
        var original = MessageKey.Generate();
        var wrappedOriginal = original.WrapWith(tenantKey);
        using var copy = original.Copy();
        Assert.Equal(original.KeyBytes.ToArray(), copy.KeyBytes.ToArray());

        original.Dispose();

        Assert.True(copy.KeyBytes.ContainsAnyExcept((byte)0));
        Assert.Equal(wrappedOriginal, copy.WrapWith(tenantKey));
        Assert.Throws<ObjectDisposedException>(() => original.Copy());
    }
}
