using System.Net;
using System.Net.Http.Headers;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin.Keys;
using OmePortal.Web.Tests.Reading;
using OmePortal.Web.Tests.Smtp;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tests.Admin.Keys;

/// <summary>The keys admin service: rotation with the re-wrap job, API keys created once and revoked at once.</summary>
public abstract class KeyAdministrationTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    // Authentication required on the SMTP gateway (no network allowed without it), so SMTP AUTH is what lets mail in.
    public async Task InitializeAsync() => _host = await new PortalHost(Storage, new Dictionary<string, string?>
    {
        ["OmePortal:Smtp:AllowedNetworks:0"] = "10.9.9.9/32",
        ["OmePortal:Revocation:SweeperEnabled"] = "false",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<T> WithKeysAsync<T>(Func<KeyAdministration, Guid, Task<T>> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var tenant = await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().Tenants.Select(t => t.Id).SingleAsync();
        return await action(scope.ServiceProvider.GetRequiredService<KeyAdministration>(), tenant);
    }

    private async Task<HttpStatusCode> PostMessageAsync(string apiKey)
    {
        using var response = await _host.PostMessageAsync(ReadingTestSupport.SimpleMessage("keys@example.nl", "Keys"), apiKey: apiKey);
        return response.StatusCode;
    }

    private async Task<bool> SmtpAuthenticatesAsync(string apiKey)
    {
        using var client = await SmtpTestSupport.ConnectAsync(_host);
        try
        {
            await client.AuthenticateAsync("relay", apiKey);
            return true;
        }
        catch (AuthenticationException)
        {
            return false;
        }
    }

    [Fact]
    public async Task CreatedApiKey_IsStoredHashed_AndWorks_UntilRevoked_ThenRestAndSmtpRefuseItAtOnce()
    {
        var created = await WithKeysAsync((keys, tenant) => keys.CreateApiKeyAsync(tenant, "  CRM connector ", "admin@contoso.test", CancellationToken.None));

        Assert.StartsWith("omp_", created.Key, StringComparison.Ordinal);
        Assert.Equal("CRM connector", created.Row.Name);
        var stored = await ReadingTestSupport.DbAsync(_host, db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == created.Row.Id));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(created.Key)), stored.KeyHash);
        Assert.True(created.Key.StartsWith(stored.Prefix, StringComparison.Ordinal) && stored.Prefix.Length < created.Key.Length / 2);
        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(created.Key));
        Assert.True(await SmtpAuthenticatesAsync(created.Key));

        Assert.Equal(ApiKeyRevocation.Revoked, await WithKeysAsync((keys, tenant) => keys.RevokeApiKeyAsync(tenant, created.Row.Id, "admin@contoso.test", CancellationToken.None)));

        Assert.Equal(HttpStatusCode.Unauthorized, await PostMessageAsync(created.Key));
        Assert.False(await SmtpAuthenticatesAsync(created.Key));
        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(_host.ApiKey));
        Assert.Equal(ApiKeyRevocation.AlreadyRevoked, await WithKeysAsync((keys, tenant) => keys.RevokeApiKeyAsync(tenant, created.Row.Id, "admin@contoso.test", CancellationToken.None)));
        var events = await ReadingTestSupport.DbAsync(_host, db => db.AuditEvents.AsNoTracking()
            .Where(e => e.Kind == AuditEventKind.ApiKeyCreated || e.Kind == AuditEventKind.ApiKeyRevoked).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([AuditEventKind.ApiKeyCreated, AuditEventKind.ApiKeyRevoked], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.DoesNotContain(created.Key, e.Detail ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApiKeys_OfAnotherTenant_AreNeitherListedNorRevocable()
    {
        var created = await WithKeysAsync((keys, tenant) => keys.CreateApiKeyAsync(tenant, "Mine", "admin@contoso.test", CancellationToken.None));
        var other = Guid.NewGuid();

        Assert.Empty(await WithKeysAsync((keys, _) => keys.ListApiKeysAsync(other, CancellationToken.None)));
        Assert.Null(await WithKeysAsync((keys, _) => keys.FindApiKeyAsync(other, created.Row.Id, CancellationToken.None)));
        Assert.Equal(ApiKeyRevocation.NotFound, await WithKeysAsync((keys, _) => keys.RevokeApiKeyAsync(other, created.Row.Id, "x", CancellationToken.None)));
        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(created.Key));
    }

    [Fact]
    public async Task Rotate_MakesANewVersionActive_AndTheRewrapJobMovesEveryMessageKey()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(_host.ApiKey));
        }

        var before = await WithKeysAsync((keys, tenant) => keys.OverviewAsync(tenant, CancellationToken.None));
        Assert.Equal((3, 0, true), (before.OnActive, before.OnOlder, before.RewrapComplete));

        var version = await WithKeysAsync((keys, tenant) => keys.RotateAsync(tenant, "admin@contoso.test", CancellationToken.None));
        Assert.Equal(2, version);

        // The job runs in the background: wait for it (it is signalled by the rotation, not the 5-minute timer).
        KeyOverview after;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await Task.Delay(50);
            after = await WithKeysAsync((keys, tenant) => keys.OverviewAsync(tenant, CancellationToken.None));
        }
        while (!(after.RewrapComplete && after.Versions.Single(v => v.Version == 1).Retired) && DateTime.UtcNow < deadline);

        Assert.Equal(2, after.Active!.Version);
        Assert.Equal((3, 0, 100), (after.OnActive, after.OnOlder, after.PercentDone));
        Assert.True(after.Versions.Single(v => v.Version == 1).Retired);
        Assert.Contains(await ReadingTestSupport.DbAsync(_host, db => db.AuditEvents.AsNoTracking().ToListAsync()),
            e => e.Kind == AuditEventKind.KeyRotated && e.Detail == "version 2" && e.Actor == "admin@contoso.test");

        // The messages still open under the new version.
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        foreach (var message in await db.Messages.AsNoTracking().ToListAsync())
        {
            Assert.Equal(2, message.KeyVersion);
            Assert.IsType<MessageKeyResult.Available>(await scope.ServiceProvider.GetRequiredService<MessageVault>().OpenKeyAsync(db, message, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Overview_ShowsProgress_WhileMessagesAreStillOnAnOlderVersion()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(_host.ApiKey));
        }

        // A rotation without the job (as right after a restart): every message is still on version 1.
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await scope.ServiceProvider.GetRequiredService<TenantKeyRing>().RotateAsync(db, await db.Tenants.Select(t => t.Id).SingleAsync(), CancellationToken.None);
            var one = await db.Messages.OrderBy(m => m.Id).FirstAsync();
            var vault = scope.ServiceProvider.GetRequiredService<MessageVault>();
            Assert.Equal(4, await vault.RewrapAsync(db, one.TenantId, 10, CancellationToken.None) + 0);
        }

        var overview = await WithKeysAsync((keys, tenant) => keys.OverviewAsync(tenant, CancellationToken.None));
        Assert.Equal(4, overview.OnActive);

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await scope.ServiceProvider.GetRequiredService<TenantKeyRing>().RotateAsync(db, await db.Tenants.Select(t => t.Id).SingleAsync(), CancellationToken.None);
        }

        var midway = await WithKeysAsync((keys, tenant) => keys.OverviewAsync(tenant, CancellationToken.None));
        Assert.Equal((0, 4, false, 0), (midway.OnActive, midway.OnOlder, midway.RewrapComplete, midway.PercentDone));
        Assert.Equal([3, 2, 1], midway.Versions.Select(v => v.Version));
    }
}

public sealed class KeyAdministrationSqliteTests : KeyAdministrationTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class KeyAdministrationPostgresTests : KeyAdministrationTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
