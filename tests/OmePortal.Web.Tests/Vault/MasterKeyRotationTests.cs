using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Vault;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Vault;

/// <summary>
/// <c>rotate-master-key</c> end to end on the real portal (issue 19, item 3): ingest, stop, rotate to a
/// new key file, restart with the new key and read the message as its recipient; the old key no longer
/// unwraps any tenant key nor opens the Data Protection key ring.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MasterKeyRotationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = TestEnvironment.NewTempDirectory("omeportal-rotate");

    [Fact]
    public async Task RotateMasterKey_RewrapsEverything_OldKeyOpensNothing()
    {
        var keys = Directory.CreateDirectory(Path.Combine(_root, "keys")).FullName;
        var oldKeyFile = Path.Combine(keys, "master.key");
        var newKeyFile = Path.Combine(keys, "master.key.new");
        var data = Path.Combine(_root, "data");
        using var portal = new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), "omp_test_" + Guid.NewGuid().ToString("N"), _root);
        portal.Settings["OmePortal__Vault__AllowKeyInDataDirectory"] = "false";
        portal.Settings["OmePortal__Vault__MasterKeyFile"] = oldKeyFile;
        try
        {
            portal.Start();
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            var marker = TestMessages.NewMarker("rotation");
            var message = await portal.IngestAsync(TestMessages.ToBytes(TestMessages.WithMarkers(marker, "h", "t", "a", "alice@example.nl")));
            using (var visitor = new RecipientBrowserlessClient(portal.BaseUrl, portal.OutboxDirectory))
            {
                // A form page: the Data Protection key ring gets its first key.
                await visitor.AntiforgeryTokenAsync("/signin");
            }

            await portal.StopAsync(TimeSpan.FromSeconds(10));

            PortalCommand.WriteKeyFile(newKeyFile);
            var (exitCode, text) = await PortalCommand.RunAsync(portal, null, "rotate-master-key", "--new-key-file", newKeyFile);
            output.WriteLine(text);
            Assert.Equal(0, exitCode);
            Assert.Contains("Re-wrapped 1 tenant key(s)", text, StringComparison.Ordinal);

            using (var oldKey = MasterKey.Load(oldKeyFile))
            using (var newKey = MasterKey.Load(newKeyFile))
            {
                await using var db = OpenDatabase(data);
                var tenantKeys = await db.TenantKeys.AsNoTracking().Where(k => k.WrappedKey != null).ToListAsync();
                Assert.NotEmpty(tenantKeys);
                foreach (var record in tenantKeys)
                {
                    Assert.Throws<VaultIntegrityException>(() => TenantKey.Unwrap(oldKey, record.TenantId, record.Version, record.WrappedKey!).Dispose());
                    TenantKey.Unwrap(newKey, record.TenantId, record.Version, record.WrappedKey!).Dispose();
                }

                var ring = await db.DataProtectionKeys.AsNoTracking().ToListAsync();
                Assert.NotEmpty(ring);
                foreach (var row in ring)
                {
                    var sealedElement = Assert.Single(XElement.Parse(row.Xml!).Descendants(MasterKeyXmlEncryptor.ElementName));
                    Assert.Throws<VaultIntegrityException>(() => MasterKeyXmlEncryptor.Open(oldKey, sealedElement));
                    Assert.Equal("masterKey", MasterKeyXmlEncryptor.Open(newKey, sealedElement).Name.LocalName);
                }
            }

            // The same key again is refused, and changes nothing.
            var (again, againText) = await PortalCommand.RunAsync(portal, null, "rotate-master-key", "--new-key-file", newKeyFile);
            Assert.Equal(2, again);
            Assert.Contains("rotate-master-key:", againText, StringComparison.Ordinal);

            // The operator puts the new key in place and starts the portal: the recipient reads the message.
            portal.Settings["OmePortal__Vault__MasterKeyFile"] = newKeyFile;
            portal.Start();
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            using var recipient = await new RecipientBrowserlessClient(portal.BaseUrl, portal.OutboxDirectory).SignInFromLinkAsync(message.Link);
            var page = await recipient.Http.GetStringAsync(recipient.LandedOn);
            Assert.Contains(marker, page, StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(portal.Log);
            throw;
        }
    }

    [Fact]
    public async Task RotateMasterKey_WithoutANewKey_ExplainsAndFails()
    {
        var data = Path.Combine(_root, "data");
        using var portal = new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), "omp_test_" + Guid.NewGuid().ToString("N"), _root);
        var (exitCode, text) = await PortalCommand.RunAsync(portal, null, "rotate-master-key");
        Assert.Equal(2, exitCode);
        Assert.Contains("--new-key-file", text, StringComparison.Ordinal);

        var missing = await PortalCommand.RunAsync(portal, null, "rotate-master-key", "--new-key-file", Path.Combine(_root, "nope.key"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("There is no new master key file", missing.Output, StringComparison.Ordinal);

        var open = Path.Combine(_root, "open.key");
        PortalCommand.WriteKeyFile(open, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var readable = await PortalCommand.RunAsync(portal, null, "rotate-master-key", "--new-key-file", open);
        Assert.Equal(2, readable.ExitCode);
        Assert.Contains("group or others", readable.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateMasterKey_FromTheEnvironment_Works()
    {
        var data = Path.Combine(_root, "data");
        using var portal = new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), "omp_test_" + Guid.NewGuid().ToString("N"), _root);
        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var (exitCode, text) = await PortalCommand.RunAsync(portal, new Dictionary<string, string> { [OmePortal.Web.Hosting.Commands.NewMasterKeyVariable] = newKey }, "rotate-master-key");
        output.WriteLine(text);
        Assert.Equal(0, exitCode);

        using var key = MasterKey.FromBase64(newKey);
        await using var db = OpenDatabase(data);
        foreach (var record in await db.TenantKeys.AsNoTracking().Where(k => k.WrappedKey != null).ToListAsync())
        {
            TenantKey.Unwrap(key, record.TenantId, record.Version, record.WrappedKey!).Dispose();
        }
    }

    private static SqliteOmePortalDbContext OpenDatabase(string data) =>
        new(new DbContextOptionsBuilder<SqliteOmePortalDbContext>().UseSqlite($"Data Source={Path.Combine(data, "omeportal.db")};Pooling=False").Options);

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
