using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Vault;

/// <summary>
/// Where the master key may live (issue 19, item 3), checked by starting the real portal: in Production
/// not inside the data directory unless allowed, and never in a file others can read or another user owns.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MasterKeyPlacementTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = TestEnvironment.NewTempDirectory("omeportal-keyplace");

    private PortalProcess NewPortal()
    {
        var data = Path.Combine(_root, "data");
        return new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), "omp_test_" + Guid.NewGuid().ToString("N"), _root);
    }

    [Fact]
    public async Task Production_KeyFileInsideDataDirectory_RefusesToStart()
    {
        using var portal = NewPortal();
        portal.Settings["OmePortal__Vault__AllowKeyInDataDirectory"] = "false";
        await AssertRefusedAsync(portal, "is inside the data directory");
        Assert.False(File.Exists(Path.Combine(portal.DataDirectory, "master.key")), "No key was created where it is refused.");
    }

    [Fact]
    public async Task Production_KeyFileInsideDataDirectory_StartsWhenAllowed()
    {
        using var portal = NewPortal();
        portal.Settings["OmePortal__Vault__AllowKeyInDataDirectory"] = "true";
        await AssertStartsAsync(portal);
    }

    [Fact]
    public async Task Production_KeyFileElsewhere_Starts()
    {
        using var portal = NewPortal();
        portal.Settings["OmePortal__Vault__AllowKeyInDataDirectory"] = "false";
        var keys = Directory.CreateDirectory(Path.Combine(_root, "keys")).FullName;
        portal.Settings["OmePortal__Vault__MasterKeyFile"] = Path.Combine(keys, "master.key");
        await AssertStartsAsync(portal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(keys, "master.key")));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    public async Task KeyFileReadableByOthers_RefusesToStart(UnixFileMode mode)
    {
        using var portal = NewPortal();
        var file = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "keys")).FullName, "master.key");
        PortalCommand.WriteKeyFile(file, mode);
        portal.Settings["OmePortal__Vault__MasterKeyFile"] = file;
        await AssertRefusedAsync(portal, "can be read or changed by group or others");
    }

    [Fact]
    public async Task KeyFileOwnedByAnotherUser_RefusesToStart()
    {
        Assert.True(Environment.UserName == "root", "Giving a file to another user needs root (./test.sh runs as root).");
        using var portal = NewPortal();
        var file = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "keys")).FullName, "master.key");
        PortalCommand.WriteKeyFile(file);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var chown = System.Diagnostics.Process.Start("chown", ["65534", file]))
        {
            await chown.WaitForExitAsync();
            Assert.Equal(0, chown.ExitCode);
        }

        portal.Settings["OmePortal__Vault__MasterKeyFile"] = file;
        await AssertRefusedAsync(portal, "belongs to user id 65534");
    }

    private async Task AssertRefusedAsync(PortalProcess portal, string message)
    {
        portal.Start();
        try
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => portal.WaitReadyAsync(TimeSpan.FromSeconds(120)));
            Assert.Contains(message, portal.Log, StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(portal.Log);
            throw;
        }
    }

    private async Task AssertStartsAsync(PortalProcess portal)
    {
        portal.Start();
        try
        {
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            await portal.StopAsync(TimeSpan.FromSeconds(10));
        }
        catch
        {
            output.WriteLine(portal.Log);
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
