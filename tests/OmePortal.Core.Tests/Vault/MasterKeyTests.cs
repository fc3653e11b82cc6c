using OmePortal.Core.Vault;

namespace OmePortal.Core.Tests.Vault;

public sealed class MasterKeyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ome-vault-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void FromBase64_ValidKeyWithWhitespace_Loads()
    {
        byte[] bytes = VaultTestSupport.RandomBytes(32);

        using var key = MasterKey.FromBase64("  " + Convert.ToBase64String(bytes) + "\n");

        Assert.Equal(bytes, key.KeyBytes.ToArray());
    }

    [Theory]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(0)]
    public void FromBase64_WrongLength_ThrowsClearError(int length)
    {
        string value = Convert.ToBase64String(new byte[length]);

        var ex = Assert.Throws<ArgumentException>(() => MasterKey.FromBase64(value));

        Assert.Contains("32 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{length} bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBase64_NotBase64_ThrowsClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => MasterKey.FromBase64("this is not base64!"));

        Assert.Contains("base64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeriveSubkey_Labels_StableIndependentAndNotTheMasterKey()
    {
        using var master = MasterKey.Generate();

        byte[] a1 = master.DeriveSubkey("omeportal/test/a");
        byte[] a2 = master.DeriveSubkey("omeportal/test/a");
        byte[] b = master.DeriveSubkey("omeportal/test/b");

        Assert.Equal(32, a1.Length);
        Assert.Equal(a1, a2);
        Assert.NotEqual(a1, b);
        Assert.NotEqual(master.KeyBytes.ToArray(), a1);
        Assert.Equal(16, master.DeriveSubkey("omeportal/test/a", 16).Length);
        Assert.Throws<ArgumentException>(() => master.DeriveSubkey(""));
        master.Dispose();
        Assert.Throws<ObjectDisposedException>(() => master.DeriveSubkey("omeportal/test/a"));
    }

    [Fact]
    public void LoadOrCreate_NoFile_CreatesOwnerOnlyFileInNewDirectory()
    {
        string path = Path.Combine(_root, "keys", "nested", "master.key");

        using var key = MasterKey.LoadOrCreate(path);

        Assert.True(File.Exists(path));
        string text = File.ReadAllText(path).Trim();
        Assert.Equal(key.KeyBytes.ToArray(), Convert.FromBase64String(text));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
    }

    [Fact]
    public void LoadOrCreate_SecondCall_ReloadsSameKey()
    {
        string path = Path.Combine(_root, "master.key");

        using var first = MasterKey.LoadOrCreate(path);
        using var second = MasterKey.LoadOrCreate(path);
        using var fromText = MasterKey.FromBase64(File.ReadAllText(path));

        Assert.Equal(first.KeyBytes.ToArray(), second.KeyBytes.ToArray());
        Assert.Equal(first.KeyBytes.ToArray(), fromText.KeyBytes.ToArray());
    }

    [Fact]
    public void LoadOrCreate_TwoPaths_DifferentKeys()
    {
        using var a = MasterKey.LoadOrCreate(Path.Combine(_root, "a.key"));
        using var b = MasterKey.LoadOrCreate(Path.Combine(_root, "b.key"));

        Assert.NotEqual(a.KeyBytes.ToArray(), b.KeyBytes.ToArray());
    }

    [Fact]
    public void LoadOrCreate_KeyWrappedBeforeRestart_UnwrapsAfterReload()
    {
        string path = Path.Combine(_root, "master.key");
        var tenant = Guid.NewGuid();
        byte[] wrapped;
        using (var master = MasterKey.LoadOrCreate(path))
        using (var tenantKey = TenantKey.Generate(tenant, 1))
        {
            wrapped = tenantKey.WrapWith(master);
        }

        using var reloaded = MasterKey.LoadOrCreate(path);
        using var unwrapped = TenantKey.Unwrap(reloaded, tenant, 1, wrapped);

        Assert.Equal(1, unwrapped.Version);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")] // 16 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 66 bytes
    public void LoadOrCreate_BadFile_Throws(string content)
    {
        Directory.CreateDirectory(_root);
        string path = Path.Combine(_root, "master.key");
        File.WriteAllText(path, content);

        var ex = Assert.Throws<InvalidDataException>(() => MasterKey.LoadOrCreate(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(path)); // a bad key file is never replaced
    }
}
