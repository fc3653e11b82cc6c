using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// The admin passkey API and security page over real HTTP: who may start a registration, what the
/// sign-in options reveal, forged answers, and that one admin never sees or changes another's passkeys.
/// (The ceremonies themselves run with a virtual authenticator in the browser tests.)
/// </summary>
public abstract class AdminPasskeyEndpointTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new();
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, new Dictionary<string, string?>
    {
        ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
    }) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(_clock) }.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task RegistrationOptions_ForAFreshTwoFactorSignIn_AskForADiscoverableUserVerifiedPasskey()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        using var response = await PostJsonAsync(admin, "/admin/account/passkeys/registration/options", "/admin/account/security");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var options = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("localhost", options.RootElement.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal(admin.Account!.Email, options.RootElement.GetProperty("user").GetProperty("name").GetString());
        var selection = options.RootElement.GetProperty("authenticatorSelection");
        Assert.Equal("required", selection.GetProperty("residentKey").GetString());
        Assert.Equal("required", selection.GetProperty("userVerification").GetString());
        Assert.Equal(1, await DbAsync(db => db.PasskeyChallenges.CountAsync(c => c.Purpose == "admin-register" && c.Address == admin.Account.Id.ToString())));
    }

    [Fact]
    public async Task RegistrationOptions_WithoutBothFactors_OrLongAfterSignIn_AreRefused()
    {
        using (var anonymous = AdminClient.Anonymous(_host))
        using (var refused = await PostJsonAsync(anonymous, "/admin/account/passkeys/registration/options", "/admin/account/signin"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode); // an API: no sign-in redirect
        }

        // Password only (no authenticator yet): the enrolment is the one place to go.
        var tenantId = await DbAsync(db => db.Tenants.Select(t => t.Id).SingleAsync());
        var unenrolled = await AdminClient.CreateAdminAsync(_host, tenantId, enrolled: false);
        using (var passwordOnly = AdminClient.Anonymous(_host))
        {
            using (await passwordOnly.PostPasswordAsync(unenrolled.Email, unenrolled.Password))
            {
            }

            using var refused = await PostJsonAsync(passwordOnly, "/admin/account/passkeys/registration/options", "/admin/account/enrol");
            Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        }

        // Both factors, but 20 minutes ago: sign in again first (the page says so).
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        _clock.Advance(TimeSpan.FromMinutes(20));
        using (var stale = await PostJsonAsync(admin, "/admin/account/passkeys/registration/options", "/admin/account/security"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, stale.StatusCode);
        }

        var page = await admin.Http.GetStringAsync("/admin/account/security");
        Assert.Contains("data-testid=\"recent-sign-in-needed\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"passkey-create\"", page, StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.PasskeyChallenges.CountAsync(c => c.Purpose == "admin-register")));
    }

    [Fact]
    public async Task SignInOptions_AreTheSameForEverybody_AndAForgedAnswerSignsNobodyIn()
    {
        await AdminClient.CreateTenantAdminAsync(_host);
        using var first = AdminClient.Anonymous(_host);
        using var second = AdminClient.Anonymous(_host);
        using var a = await PostJsonAsync(first, "/admin/account/passkeys/signin/options", "/admin/account/signin");
        using var b = await PostJsonAsync(second, "/admin/account/passkeys/signin/options", "/admin/account/signin");
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        static string WithoutChallenge(string json)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
            Assert.True(node.Remove("challenge"));
            Assert.True(node["allowCredentials"] is null || node["allowCredentials"]!.AsArray().Count == 0);
            Assert.Equal("required", node["userVerification"]!.GetValue<string>());
            return node.ToJsonString();
        }

        Assert.Equal(WithoutChallenge(await a.Content.ReadAsStringAsync()), WithoutChallenge(await b.Content.ReadAsStringAsync()));

        const string forged = """{"returnUrl":"/admin","credential":{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"authenticatorData":"AAAA","clientDataJSON":"AAAA","signature":"AAAA","userHandle":"AAAA"},"clientExtensionResults":{}}}""";
        using var refused = await PostJsonAsync(first, "/admin/account/passkeys/signin", "/admin/account/signin", forged);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.False(first.Cookies.ContainsKey("__Host-omeportal-admin"));

        // Without the antiforgery token nothing starts at all.
        using var noToken = await first.Http.PostAsync("/admin/account/passkeys/signin/options", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
    }

    [Fact]
    public async Task SecurityPage_AnotherAdminsPasskey_CannotBeSeenRenamedOrRemoved()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        var colleague = await AdminClient.CreateTenantAdminAsync(_host); // same tenant, still not theirs
        var own = await SeedPasskeyAsync(admin.Account!.Id, "Mine");
        var theirs = await SeedPasskeyAsync(colleague.Id, "Colleague's key");

        var page = await admin.Http.GetStringAsync("/admin/account/security");
        Assert.Contains("Mine", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Colleague", page, StringComparison.Ordinal);

        using (var confirm = await admin.Http.GetAsync($"/admin/account/security?remove={theirs}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, confirm.StatusCode);
            Assert.DoesNotContain("Colleague", await confirm.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var rename = await admin.PostFormAsync("/admin/account/security?handler=Rename", new Dictionary<string, string> { ["id"] = theirs.ToString(), ["name"] = "Taken" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, rename.StatusCode);
        }

        using (var remove = await admin.PostFormAsync("/admin/account/security?handler=Remove", new Dictionary<string, string> { ["id"] = theirs.ToString() }))
        {
            Assert.Equal(HttpStatusCode.NotFound, remove.StatusCode);
        }

        Assert.Equal("Colleague's key", await DbAsync(db => db.AdminPasskeys.Where(p => p.Id == theirs).Select(p => p.Name).SingleAsync()));

        // Their own: renamed and removed, each in the audit log.
        using (var rename = await admin.PostFormAsync("/admin/account/security?handler=Rename", new Dictionary<string, string> { ["id"] = own.ToString(), ["name"] = "Laptop" }))
        {
            Assert.Equal("/admin/account/security?status=renamed", rename.Headers.Location?.OriginalString);
        }

        using (var remove = await admin.PostFormAsync("/admin/account/security?handler=Remove", new Dictionary<string, string> { ["id"] = own.ToString() }))
        {
            Assert.Equal("/admin/account/security?status=removed", remove.Headers.Location?.OriginalString);
        }

        Assert.False(await DbAsync(db => db.AdminPasskeys.AnyAsync(p => p.Id == own)));
        Assert.True(await DbAsync(db => db.AdminPasskeys.AnyAsync(p => p.Id == theirs)));
        var details = await DbAsync(db => db.AuditEvents.Where(e => e.Kind == AuditEventKind.AdminChanged && e.Actor == admin.Account.Email).Select(e => e.Detail).ToListAsync());
        Assert.Contains("passkey renamed: Laptop", details);
        Assert.Contains("passkey removed: Laptop", details);
    }

    private async Task<Guid> SeedPasskeyAsync(Guid adminUserId, string name)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var passkey = new AdminPasskey
        {
            Id = Guid.NewGuid(),
            AdminUserId = adminUserId,
            CredentialId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            PublicKey = [1, 2, 3],
            UserHandle = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            Name = name,
            CreatedAt = _clock.GetUtcNow(),
        };
        db.AdminPasskeys.Add(passkey);
        await db.SaveChangesAsync();
        return passkey.Id;
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(AdminClient client, string path, string tokenPage, string body = "{}")
    {
        var token = await client.AntiforgeryTokenAsync(tokenPage);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("RequestVerificationToken", token);
        return await client.Http.SendAsync(request);
    }

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => _host.DbAsync(query);
}

public sealed class AdminPasskeyEndpointSqliteTests : AdminPasskeyEndpointTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AdminPasskeyEndpointPostgresTests : AdminPasskeyEndpointTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
