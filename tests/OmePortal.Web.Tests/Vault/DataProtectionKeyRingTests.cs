using System.Net;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OmePortal.Testing;
using OmePortal.Web.Vault;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Vault;

/// <summary>
/// The Data Protection key ring (issue 19, item 2) lives in the database, each key's secret encrypted
/// under the master key, with one application name: cookies and antiforgery tokens outlive a restart,
/// and nodes on one database accept each other's.
/// </summary>
public abstract class DataProtectionKeyRingTests(ITestOutputHelper output)
{
    protected abstract StorageKind Storage { get; }

    protected ITestOutputHelper Output => output;

    [Fact]
    public async Task StoredKeyRing_HoldsNoPlainKeyMaterial()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using (var client = host.CreateHttpClient())
        {
            // The sign-in form carries an antiforgery token: the first key is made for it.
            using var page = await client.GetAsync("/signin");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        var rows = await host.DbAsync(db => db.DataProtectionKeys.AsNoTracking().ToListAsync());
        Assert.NotEmpty(rows);
        var master = host.Services.GetRequiredService<MasterKeyHolder>().Key;
        foreach (var row in rows)
        {
            Assert.NotNull(row.Xml);
            Assert.DoesNotContain("<masterKey", row.Xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", row.Xml, StringComparison.Ordinal);
            var sealedElement = Assert.Single(XElement.Parse(row.Xml).Descendants(MasterKeyXmlEncryptor.ElementName));

            // ... and the secret is in there, for whoever holds the master key.
            var opened = MasterKeyXmlEncryptor.Open(master, sealedElement);
            Assert.Equal("masterKey", opened.Name.LocalName);
            Assert.NotEmpty(opened.Descendants("value").Single().Value);
        }
    }

    [Fact]
    public async Task AdminCookieAndAntiforgeryToken_IssuedBeforeARestart_WorkAfterIt()
    {
        var first = await new PortalHost(Storage).StartAsync();
        var connection = first.PostgresConnectionString;
        var database = first.PostgresDatabase;
        Dictionary<string, string> cookies;
        string token;
        using (var admin = await AdminClient.SignInTenantAdminAsync(first))
        {
            token = await admin.AntiforgeryTokenAsync("/signin");
            cookies = new Dictionary<string, string>(admin.Cookies);
        }

        await first.StopKeepingDataAsync();
        var settings = new Dictionary<string, string?>();
        if (Storage == StorageKind.Postgres)
        {
            settings["OmePortal:Database:ConnectionString"] = connection;
        }

        try
        {
            await using var second = await new PortalHost(Storage, settings, first.DataDirectory).StartAsync();
            using var session = new RecipientBrowserlessClient(second.BaseUrl, second.OutboxDirectory);
            foreach (var (name, value) in cookies)
            {
                session.Cookies[name] = value;
            }

            using var dashboard = await session.Http.GetAsync("/admin");
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);

            using var posted = await session.PostFormWithTokenAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "alice@example.nl" }, token);
            Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);

            // The same token without its cookie is refused: the check above was a real one.
            using var stranger = new RecipientBrowserlessClient(second.BaseUrl, second.OutboxDirectory);
            using var refused = await stranger.PostFormWithTokenAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "alice@example.nl" }, token);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        finally
        {
            await DropAsync(database);
        }
    }

    internal static async Task DropAsync(string? database)
    {
        if (database is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestEnvironment.PostgresServer);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

public sealed class SqliteDataProtectionKeyRingTests(ITestOutputHelper output) : DataProtectionKeyRingTests(output)
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class PostgresDataProtectionKeyRingTests(ITestOutputHelper output) : DataProtectionKeyRingTests(output)
{
    protected override StorageKind Storage => StorageKind.Postgres;

    [Fact]
    public async Task TwoPortalProcesses_OnOneDatabase_AcceptEachOthersCookiesAndTokens()
    {
        // Node A: the in-test host; node B: the real portal as its own OS process on the same database and master key.
        await using var nodeA = await new PortalHost(StorageKind.Postgres).StartAsync();
        var dataB = TestEnvironment.NewTempDirectory("omeportal-nodeb");
        using var nodeB = new PortalProcess(dataB, TestEnvironment.FreePort(), TestEnvironment.FreePort(), nodeA.ApiKey, dataB);
        nodeB.Settings["OmePortal__Database__Provider"] = "Postgres";
        nodeB.Settings["OmePortal__Database__ConnectionString"] = nodeA.PostgresConnectionString;
        nodeB.Settings["OmePortal__Vault__MasterKeyFile"] = Path.Combine(nodeA.DataDirectory, "master.key");
        try
        {
            using var admin = await AdminClient.SignInTenantAdminAsync(nodeA);
            var tokenFromA = await admin.AntiforgeryTokenAsync("/signin");
            nodeB.Start();
            await nodeB.WaitReadyAsync(TimeSpan.FromSeconds(120));

            using var atB = new RecipientBrowserlessClient(nodeB.BaseUrl, nodeB.OutboxDirectory);
            foreach (var (name, value) in admin.Cookies)
            {
                atB.Cookies[name] = value;
            }

            using var dashboard = await atB.Http.GetAsync("/admin");
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            using var postedAtB = await atB.PostFormWithTokenAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "alice@example.nl" }, tokenFromA);
            Assert.Equal(HttpStatusCode.Redirect, postedAtB.StatusCode);

            // The other way round: a token and cookie B issued, posted to A.
            using var fromB = new RecipientBrowserlessClient(nodeB.BaseUrl, nodeB.OutboxDirectory);
            var tokenFromB = await fromB.AntiforgeryTokenAsync("/signin");
            using var atA = new RecipientBrowserlessClient(nodeA.BaseUrl, nodeA.OutboxDirectory);
            foreach (var (name, value) in fromB.Cookies)
            {
                atA.Cookies[name] = value;
            }

            using var postedAtA = await atA.PostFormWithTokenAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "bob@example.nl" }, tokenFromB);
            Assert.Equal(HttpStatusCode.Redirect, postedAtA.StatusCode);
        }
        catch
        {
            Output.WriteLine(nodeB.Log);
            throw;
        }
        finally
        {
            await nodeB.StopAsync(TimeSpan.FromSeconds(10));
            Directory.Delete(dataB, recursive: true);
        }
    }
}
