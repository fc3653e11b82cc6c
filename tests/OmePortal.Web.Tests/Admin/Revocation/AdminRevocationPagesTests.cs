using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin.Keys;
using OmePortal.Web.Tests.Reading;
using static OmePortal.Web.Tests.Revocation.RevocationTestSupport;

using OmePortal.Web.Tests.Revocation;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Tests.Admin.Revocation;

/// <summary>The admin's revocation: the actions on the trace page, the confirmation that says what will happen, and tenant isolation.</summary>
public abstract class AdminRevocationPagesTests : IAsyncLifetime
{
    private const string Ann = "ann@example.nl";
    private const string Ben = "ben@example.nl";

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings()).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<string> DefaultSlugAsync() =>
        ReadingTestSupport.DbAsync(_host, db => db.Tenants.OrderBy(t => t.CreatedAt).Select(t => t.Slug).FirstAsync());

    [Fact]
    public async Task Admin_RevokesOneThenAll_AfterAConfirmationThatSaysWhatHappens()
    {
        var message = await ReadingTestSupport.IngestAsync(_host, PolicyTo(Ann, Ben));
        var annId = await RecipientIdAsync(_host, message.Id, Ann);
        using var admin = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());
        using var ben = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[Ben]);

        var trace = await admin.Http.GetStringAsync($"/admin/trace/{message.Id}");
        Assert.Contains($"href=\"/admin/messages/{message.Id}/revoke\"", trace, StringComparison.Ordinal);
        Assert.Contains($"href=\"/admin/messages/{message.Id}/revoke?recipient={annId}\"", trace, StringComparison.Ordinal);

        var confirmOne = await admin.Http.GetStringAsync($"/admin/messages/{message.Id}/revoke?recipient={annId}");
        Assert.Contains("data-revocation=\"confirm\"", confirmOne, StringComparison.Ordinal);
        Assert.Contains($"<li>{Ann} (", Section(confirmOne, "losing"), StringComparison.Ordinal);
        Assert.Contains($"<li>{Ben}</li>", Section(confirmOne, "keeping"), StringComparison.Ordinal);
        Assert.Contains("data-effect=\"keep-content\"", confirmOne, StringComparison.Ordinal);
        Assert.Null((await MessageAsync(_host, message.Id)).ShreddedAt);

        using (var done = await admin.PostFormAsync($"/admin/messages/{message.Id}/revoke?recipient={annId}", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
            Assert.Contains("data-revocation=\"done\"", await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.NotNull(await ReadingTestSupport.DbAsync(_host, db => db.Recipients.Where(r => r.Id == annId).Select(r => r.RevokedAt).SingleAsync()));
        Assert.Equal(HttpStatusCode.OK, (await ben.Http.GetAsync($"/messages/{message.Id}")).StatusCode);
        var revokedEvent = Assert.Single(await AuditAsync(_host, message.Id), e => e.Kind == AuditEventKind.MessageRevoked);
        Assert.Equal(admin.Account!.Email, revokedEvent.Actor);

        var confirmAll = await admin.Http.GetStringAsync($"/admin/messages/{message.Id}/revoke");
        Assert.Contains($"<li>{Ben} (", Section(confirmAll, "losing"), StringComparison.Ordinal);
        Assert.DoesNotContain(Ann, Section(confirmAll, "losing"), StringComparison.Ordinal);
        Assert.Contains("data-effect=\"shred\"", confirmAll, StringComparison.Ordinal);

        using (var done = await admin.PostFormAsync($"/admin/messages/{message.Id}/revoke", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Gone, (await ben.Http.GetAsync($"/messages/{message.Id}")).StatusCode);
        Assert.Null((await MessageAsync(_host, message.Id)).WrappedKey);
        Assert.Contains("data-revocation=\"nothing\"", await admin.Http.GetStringAsync($"/admin/messages/{message.Id}/revoke"), StringComparison.Ordinal);

        var nl = new HttpRequestMessage(HttpMethod.Get, $"/admin/trace/{message.Id}");
        nl.Headers.AcceptLanguage.ParseAdd("nl");
        Assert.Contains("Intrekken", await (await admin.Http.SendAsync(nl)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantAdmin_CannotRevokeAnotherTenantsMessage_ByChangingIds()
    {
        var mine = await ReadingTestSupport.IngestAsync(_host, PolicyTo(Ann));
        await AdminClient.CreateTenantAsync(_host, "other");
        var theirs = await IngestForTenantAsync("other", PolicyTo(Ben));
        var theirRecipient = await RecipientIdAsync(_host, theirs, Ben);
        using var admin = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());

        foreach (var path in new[]
        {
            $"/admin/messages/{theirs}/revoke",
            $"/admin/messages/{theirs}/revoke?recipient={theirRecipient}",
            $"/admin/messages/{mine.Id}/revoke?recipient={theirRecipient}",
            $"/admin/messages/{Guid.NewGuid()}/revoke",
            $"/admin/trace/{theirs}",
        })
        {
            using var get = await admin.Http.GetAsync(path);
            Assert.True(get.StatusCode == HttpStatusCode.NotFound, $"GET {path} answered {(int)get.StatusCode}");
        }

        var token = await admin.AntiforgeryTokenAsync($"/admin/messages/{mine.Id}/revoke");
        foreach (var path in new[] { $"/admin/messages/{theirs}/revoke", $"/admin/messages/{theirs}/revoke?recipient={theirRecipient}", $"/admin/messages/{mine.Id}/revoke?recipient={theirRecipient}" })
        {
            using var post = await admin.PostFormWithTokenAsync(path, new Dictionary<string, string>(), token);
            Assert.True(post.StatusCode == HttpStatusCode.NotFound, $"POST {path} answered {(int)post.StatusCode}");
        }

        Assert.Equal(0, await ReadingTestSupport.DbAsync(_host, db => db.Recipients.CountAsync(r => r.RevokedAt != null)));

        using var anonymous = AdminClient.Anonymous(_host);
        using var anonymousGet = await anonymous.Http.GetAsync($"/admin/messages/{mine.Id}/revoke");
        Assert.NotEqual(HttpStatusCode.OK, anonymousGet.StatusCode);
    }

    /// <summary>Ingests through the REST API with a fresh API key of the tenant <paramref name="slug"/>.</summary>
    private async Task<Guid> IngestForTenantAsync(string slug, byte[] mime)
    {
        string key;
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var tenant = await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().Tenants.Where(t => t.Slug == slug).Select(t => t.Id).SingleAsync();
            key = (await scope.ServiceProvider.GetRequiredService<KeyAdministration>().CreateApiKeyAsync(tenant, "test", "test", CancellationToken.None)).Key;

            // A tenant accepts mail only from its accepted domains; the policy sample is from contoso.test.
            Assert.True(await scope.ServiceProvider.GetRequiredService<OmePortal.Web.Rules.RuleStore>().SetDomainsAsync(tenant, ["contoso.test"], "test", CancellationToken.None));
        }

        using var response = await _host.PostMessageAsync(mime, apiKey: key);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    private static string Section(string html, string effect)
    {
        var start = html.IndexOf($"data-effect=\"{effect}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {effect} list");
        return html[start..html.IndexOf("</ul>", start, StringComparison.Ordinal)];
    }
}

public sealed class AdminRevocationPagesSqliteTests : AdminRevocationPagesTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AdminRevocationPagesPostgresTests : AdminRevocationPagesTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
