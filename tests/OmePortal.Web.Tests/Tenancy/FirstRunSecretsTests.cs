using System.Net;
using OmePortal.Testing;
using OmePortal.Web.Admin;
using OmePortal.Web.Tenancy;
using Xunit.Abstractions;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Tenancy;

/// <summary>
/// The first run's secrets, the API key and the admin setup link, reach the operator through owner-only files in
/// the data directory, checked on the real portal process: its whole output (log and console) names the files
/// and never holds the secrets, and what the files hold works.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FirstRunSecretsTests(ITestOutputHelper output) : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _root = TestEnvironment.NewTempDirectory("omeportal-firstrun");

    [Fact]
    public async Task FirstRun_ApiKeyAndSetupLink_AreInOwnerOnlyFiles_AndNeverInTheOutput()
    {
        // No configured API key and no configured admin: the first run makes both secrets.
        using var portal = new PortalProcess(Path.Combine(_root, "data"), TestEnvironment.FreePort(), TestEnvironment.FreePort(), apiKey: string.Empty, _root);
        try
        {
            portal.Start();
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));

            var keyFile = Path.Combine(portal.DataDirectory, PortalInitializer.InitialApiKeyFile);
            var linkFile = Path.Combine(portal.DataDirectory, AdminBootstrap.SetupLinkFile);
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(keyFile));
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(linkFile));
            var key = (await File.ReadAllTextAsync(keyFile)).Trim();
            var link = (await File.ReadAllTextAsync(linkFile)).Trim();
            var token = link.Split("token=")[1];
            Assert.StartsWith("omp_", key, StringComparison.Ordinal);
            Assert.StartsWith($"{portal.BaseUrl}/admin/account/setup?token=", link, StringComparison.Ordinal);

            // The output names both files, and holds neither secret.
            Assert.Contains(keyFile, portal.Log, StringComparison.Ordinal);
            Assert.Contains(linkFile, portal.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(key, portal.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(token, portal.Log, StringComparison.Ordinal);

            // Both work: the key ingests, the link opens the form that creates the system admin.
            using (var accepted = await PortalIngest.PostAsync(portal.BaseUrl, key, SimpleMessage("ontvanger@example.nl", "With the first key")))
            {
                Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
            }

            using var http = new HttpClient();
            Assert.Contains("Input.Password", await http.GetStringAsync(link), StringComparison.Ordinal);

            // A restart writes a fresh link over the old one (which then stops working) and leaves the key alone.
            await portal.StopAsync(TimeSpan.FromSeconds(10));
            portal.Start();
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            var second = (await File.ReadAllTextAsync(linkFile)).Trim();
            Assert.NotEqual(link, second);
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(linkFile));
            Assert.DoesNotContain(second.Split("token=")[1], portal.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("Input.Password", await http.GetStringAsync(link), StringComparison.Ordinal);
            Assert.Contains("Input.Password", await http.GetStringAsync(second), StringComparison.Ordinal);
            Assert.Equal(key, (await File.ReadAllTextAsync(keyFile)).Trim());
        }
        catch
        {
            output.WriteLine(portal.Log);
            throw;
        }
    }

    [Fact]
    public async Task SetupLinkFile_ReadableByOthers_IsReplacedByAnOwnerOnlyOne()
    {
        // A file left by an earlier install or an operator's copy keeps its mode when overwritten: it must be made anew.
        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        var linkFile = Path.Combine(data, AdminBootstrap.SetupLinkFile);
        await File.WriteAllTextAsync(linkFile, "stale");
        File.SetUnixFileMode(linkFile, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        using var portal = new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), "omp_test_" + Guid.NewGuid().ToString("N"), _root);
        try
        {
            portal.Start();
            await portal.WaitReadyAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(linkFile));
            Assert.StartsWith($"{portal.BaseUrl}/admin/account/setup?token=", await File.ReadAllTextAsync(linkFile), StringComparison.Ordinal);
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
