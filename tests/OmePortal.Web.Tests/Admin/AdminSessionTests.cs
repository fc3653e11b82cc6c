using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// The admin session over time: Identity re-checks the security stamp every minute and rebuilds the
/// principal then; both factors must survive that, and a changed stamp must end the session.
/// </summary>
public abstract class AdminSessionTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new();
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() =>
        _host = await new PortalHost(Storage) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(_clock) }.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Session_PastTheStampCheck_KeepsBothFactors()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        for (var i = 0; i < 3; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(5));
            using var page = await admin.Http.GetAsync("/admin");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        using var branding = await admin.Http.GetAsync("/admin/branding");
        Assert.Equal(HttpStatusCode.OK, branding.StatusCode);
    }

    [Fact]
    public async Task Session_EndsWhenTheSecurityStampChanges()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AdminUser>>();
            await users.UpdateSecurityStampAsync((await users.FindByIdAsync(admin.Account!.Id.ToString()))!);
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        using var page = await admin.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/admin/account/signin", page.Headers.Location!.ToString(), StringComparison.Ordinal);
    }
}

public sealed class AdminSessionSqliteTests : AdminSessionTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AdminSessionPostgresTests : AdminSessionTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
