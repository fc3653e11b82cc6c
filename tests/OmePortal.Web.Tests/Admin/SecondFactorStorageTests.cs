using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// Issue 19 item 7: the authenticator key and the recovery codes are not readable in the database,
/// and both factors still work (a recovery code once).
/// </summary>
public abstract class SecondFactorStorageTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, new Dictionary<string, string?>
    {
        ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => _host.DbAsync(query);

    private Task<List<string>> TokenValuesAsync(Guid userId) =>
        DbAsync(db => db.Set<IdentityUserToken<Guid>>().Where(t => t.UserId == userId).Select(t => t.Value ?? string.Empty).ToListAsync());

    [Fact]
    public async Task Enrolment_StoresNeitherTheKeyNorTheCodes_AndBothStillSignIn()
    {
        var tenantId = await DbAsync(db => db.Tenants.Select(t => t.Id).SingleAsync());
        var account = await AdminClient.CreateAdminAsync(_host, tenantId, enrolled: false);
        using var admin = AdminClient.Anonymous(_host);
        using (await admin.PostPasswordAsync(account.Email, account.Password))
        {
        }

        var (secret, codes) = await admin.EnrolAsync();

        var stored = await TokenValuesAsync(account.Id);
        Assert.Equal(2, stored.Count); // the key and the codes are stored, just not readable
        var everything = string.Join("\n", stored);
        Assert.DoesNotContain(secret, everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(secret[..16], everything, StringComparison.OrdinalIgnoreCase);
        foreach (var code in codes)
        {
            Assert.DoesNotContain(code, everything, StringComparison.OrdinalIgnoreCase);
        }

        using var withCode = await AdminClient.SignInAsync(_host, account.Email, account.Password, secret);
        using (var dashboard = await withCode.Http.GetAsync("/admin"))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }

        Assert.True(await SignInWithRecoveryCodeAsync(account, codes[3]));
        Assert.False(await SignInWithRecoveryCodeAsync(account, codes[3]));
        Assert.True(await SignInWithRecoveryCodeAsync(account, codes[7]));
        Assert.False(await SignInWithRecoveryCodeAsync(account, "XXXXX-XXXXX"));
        Assert.Equal(8, await CountCodesAsync(account.Id));
    }

    [Fact]
    public async Task PlainSecretsFromAnEarlierVersion_AreRewrittenAtStart_AndStillWork()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        string[] codes = ["AAAAA-11111", "BBBBB-22222", "CCCCC-33333"];

        // What Identity's own store wrote: the base32 key and "code;code;code" as they are.
        await DbAsync(async db =>
        {
            var rows = await db.Set<IdentityUserToken<Guid>>().Where(t => t.UserId == account.Id).ToListAsync();
            db.RemoveRange(rows);
            db.Add(new IdentityUserToken<Guid> { UserId = account.Id, LoginProvider = AdminUserStore.InternalLoginProvider, Name = AdminUserStore.AuthenticatorKeyName, Value = account.TotpSecret });
            db.Add(new IdentityUserToken<Guid> { UserId = account.Id, LoginProvider = AdminUserStore.InternalLoginProvider, Name = AdminUserStore.RecoveryCodesName, Value = string.Join(';', codes) });
            return await db.SaveChangesAsync();
        });

        // The upgrade runs as the portal starts; run the hosted service again as a restart would.
        var upgrade = _host.Services.GetServices<IHostedService>().OfType<AdminSecretsUpgrade>().Single();
        await upgrade.StartAsync(CancellationToken.None);

        var everything = string.Join("\n", await TokenValuesAsync(account.Id));
        Assert.DoesNotContain(account.TotpSecret, everything, StringComparison.OrdinalIgnoreCase);
        Assert.All(codes, c => Assert.DoesNotContain(c, everything, StringComparison.Ordinal));

        using var withCode = await AdminClient.SignInAsync(_host, account.Email, account.Password, account.TotpSecret);
        Assert.True(await SignInWithRecoveryCodeAsync(account, codes[1]));
        Assert.False(await SignInWithRecoveryCodeAsync(account, codes[1]));
        Assert.Equal(2, await CountCodesAsync(account.Id));
    }

    private async Task<bool> SignInWithRecoveryCodeAsync(AdminAccount account, string code)
    {
        using var client = AdminClient.Anonymous(_host);
        using (await client.PostPasswordAsync(account.Email, account.Password))
        {
        }

        using var answer = await client.PostFormAsync("/admin/account/twofactor", new Dictionary<string, string> { ["Input.RecoveryCode"] = code });
        return answer.StatusCode == HttpStatusCode.Redirect && answer.Headers.Location?.OriginalString == "/admin";
    }

    private async Task<int> CountCodesAsync(Guid userId)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AdminUser>>();
        var user = await users.FindByIdAsync(userId.ToString()) ?? throw new InvalidOperationException("No such admin.");
        return await users.CountRecoveryCodesAsync(user);
    }
}

public sealed class SecondFactorStorageSqliteTests : SecondFactorStorageTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SecondFactorStoragePostgresTests : SecondFactorStorageTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
