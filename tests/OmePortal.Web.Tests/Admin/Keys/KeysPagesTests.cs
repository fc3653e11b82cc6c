using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Tests.Reading;

namespace OmePortal.Web.Tests.Admin.Keys;

/// <summary>/admin/keys as a signed-in tenant admin: create (shown once), revoke, rotate with confirmation; nothing of another tenant.</summary>
public abstract partial class KeysPagesTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, new Dictionary<string, string?>
    {
        ["OmePortal:Revocation:SweeperEnabled"] = "false",
        ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<string> DefaultSlugAsync() =>
        ReadingTestSupport.DbAsync(_host, db => db.Tenants.OrderBy(t => t.CreatedAt).Select(t => t.Slug).FirstAsync());

    private async Task<HttpStatusCode> PostMessageAsync(string apiKey)
    {
        using var response = await _host.PostMessageAsync(ReadingTestSupport.SimpleMessage("keys@example.nl", "Keys"), apiKey: apiKey);
        return response.StatusCode;
    }

    private static async Task<(string Key, Guid Id)> CreateKeyAsync(AdminClient admin, string name)
    {
        using var created = await admin.PostFormAsync("/admin/keys", new Dictionary<string, string> { ["Input.Name"] = name }, handler: "Create");
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var page = await HtmlPage.FromAsync(created);
        Assert.Contains("no-store", created.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
        var section = page.Find("section[data-created-key]");
        Assert.NotNull(section);
        var key = section.QuerySelector("p.once[data-api-key]")?.TextContent ?? string.Empty;
        Assert.Matches("^omp_[A-Za-z0-9_-]+$", key);
        return (key, Guid.Parse(section.GetAttribute("data-created-key")!));
    }

    [Fact]
    public async Task Admin_CreatesAKeyShownOnce_ThenRevokesItAfterConfirming()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());
        var (key, id) = await CreateKeyAsync(admin, "Billing system");

        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(key));
        var list = await admin.Http.GetStringAsync("/admin/keys");
        Assert.DoesNotContain(key, list, StringComparison.Ordinal);
        Assert.Contains($"data-api-key-id=\"{id}\" data-state=\"active\"", list, StringComparison.Ordinal);
        Assert.Contains("Billing system", list, StringComparison.Ordinal);

        var confirm = await admin.Http.GetStringAsync($"/admin/keys/api-keys/{id}/revoke");
        Assert.Contains("data-revoke-key=\"confirm\"", confirm, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(key));

        using (var revoked = await admin.PostFormAsync($"/admin/keys/api-keys/{id}/revoke", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await PostMessageAsync(key));
        Assert.Contains($"data-api-key-id=\"{id}\" data-state=\"revoked\"", await admin.Http.GetStringAsync("/admin/keys"), StringComparison.Ordinal);

        using var empty = await admin.PostFormAsync("/admin/keys", new Dictionary<string, string> { ["Input.Name"] = " " }, handler: "Create");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task Admin_RotatesAfterConfirming_AndThePageShowsTheRewrapProgress()
    {
        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(_host.ApiKey));
        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(_host.ApiKey));
        using var admin = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());
        var before = await admin.Http.GetStringAsync("/admin/keys");
        Assert.Contains("data-version=\"1\" data-state=\"active\"", before, StringComparison.Ordinal);
        Assert.Contains("data-on-active=\"2\" data-on-older=\"0\"", before, StringComparison.Ordinal);

        var confirm = await admin.Http.GetStringAsync("/admin/keys/rotate");
        Assert.Contains("data-rotation=\"confirm\"", confirm, StringComparison.Ordinal);
        Assert.Single(await ReadingTestSupport.DbAsync(_host, db => db.TenantKeys.ToListAsync()));

        using (var rotated = await admin.PostFormAsync("/admin/keys/rotate", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, rotated.StatusCode);
        }

        var after = await admin.Http.GetStringAsync("/admin/keys");
        Assert.Contains("data-version=\"2\" data-state=\"active\"", after, StringComparison.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!after.Contains("data-rewrap=\"complete\" data-on-active=\"2\"", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            after = await admin.Http.GetStringAsync("/admin/keys");
        }

        Assert.Contains("data-rewrap=\"complete\" data-on-active=\"2\" data-on-older=\"0\"", after, StringComparison.Ordinal);
        Assert.Contains(await ReadingTestSupport.DbAsync(_host, db => db.AuditEvents.AsNoTracking().ToListAsync()),
            e => e.Kind == AuditEventKind.KeyRotated && e.Actor == admin.Account!.Email);
    }

    [Fact]
    public async Task TenantAdmin_CannotSeeRevokeOrRotateAnotherTenantsKeys()
    {
        using var mine = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());
        var otherTenant = await AdminClient.CreateTenantAsync(_host, "other");
        await _host.InScopeAsync(services => services.GetRequiredService<OmePortal.Web.Rules.RuleStore>().SetDomainsAsync(otherTenant, ["contoso.test"], "test", CancellationToken.None));
        using var other = await AdminClient.SignInTenantAdminAsync(_host, "other");
        var (theirKey, theirId) = await CreateKeyAsync(other, "Their connector");
        var (_, myId) = await CreateKeyAsync(mine, "My connector");

        var myList = await mine.Http.GetStringAsync("/admin/keys");
        Assert.DoesNotContain(theirId.ToString(), myList, StringComparison.Ordinal);
        Assert.DoesNotContain("Their connector", myList, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await mine.Http.GetAsync($"/admin/keys/api-keys/{theirId}/revoke")).StatusCode);
        var token = await mine.AntiforgeryTokenAsync($"/admin/keys/api-keys/{myId}/revoke");
        using (var post = await mine.PostFormWithTokenAsync($"/admin/keys/api-keys/{theirId}/revoke", new Dictionary<string, string>(), token))
        {
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, await PostMessageAsync(theirKey));

        // Rotating acts on the admin's own tenant only.
        using (var rotated = await mine.PostFormAsync("/admin/keys/rotate", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, rotated.StatusCode);
        }

        Assert.Equal(1, await ReadingTestSupport.DbAsync(_host, db => db.TenantKeys.CountAsync(k => k.TenantId == otherTenant)));
        Assert.Contains("data-version=\"1\" data-state=\"active\"", await other.Http.GetStringAsync("/admin/keys"), StringComparison.Ordinal);

        using var anonymous = AdminClient.Anonymous(_host);
        Assert.NotEqual(HttpStatusCode.OK, (await anonymous.Http.GetAsync("/admin/keys")).StatusCode);
    }
}

public sealed class KeysPagesSqliteTests : KeysPagesTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class KeysPagesPostgresTests : KeysPagesTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
