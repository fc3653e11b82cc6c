using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// First-run bootstrap (configuration or setup link), the system admin's tenant and admin pages, and
/// tenant isolation of the admin area.
/// </summary>
public abstract partial class SystemAdminTests
{
    protected abstract StorageKind Storage { get; }

    private static readonly Dictionary<string, string?> Fast = new() { ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000" };

    private static Task<T> DbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query) => host.DbAsync(query);

    [Fact]
    public async Task Bootstrap_FromConfiguration_CreatesTheSystemAdmin_WhoEnrolsAtFirstSignIn()
    {
        await using var host = await new PortalHost(Storage, new Dictionary<string, string?>(Fast)
        {
            ["OmePortal:Bootstrap:AdminEmail"] = "root@example.test",
            ["OmePortal:Bootstrap:AdminPassword"] = "a long bootstrap password",
        }).StartAsync();

        var admin = await DbAsync(host, db => db.Users.SingleAsync());
        Assert.Equal("root@example.test", admin.Email);
        Assert.Null(admin.TenantId);
        Assert.False(admin.TwoFactorEnabled);
        Assert.Equal(0, await DbAsync(host, db => db.AdminInvitations.CountAsync()));

        using var client = AdminClient.Anonymous(host);
        using (var password = await client.PostPasswordAsync("root@example.test", "a long bootstrap password"))
        {
            Assert.Equal("/admin/account/enrol", password.Headers.Location!.OriginalString);
        }

        var (secret, _) = await client.EnrolAsync();
        using (var system = await client.Http.GetAsync("/admin/system"))
        {
            Assert.Equal(HttpStatusCode.OK, system.StatusCode);
        }

        // A restart with the same configuration does not make another admin.
        await host.StopKeepingDataAsync();
        var secondSettings = new Dictionary<string, string?>(Fast)
        {
            ["OmePortal:Bootstrap:AdminEmail"] = "second@example.test",
            ["OmePortal:Bootstrap:AdminPassword"] = "another long password",
        };
        if (host.Storage == StorageKind.Postgres)
        {
            secondSettings["OmePortal:Database:Provider"] = "Postgres";
            secondSettings["OmePortal:Database:ConnectionString"] = host.PostgresConnectionString;
        }

        // Same data directory (and for PostgreSQL the same database, which the second host then drops).
        await using var again = await new PortalHost(StorageKind.Sqlite, secondSettings, host.DataDirectory).StartAsync();
        Assert.Equal(1, await DbAsync(again, db => db.Users.CountAsync()));
        using var signedIn = await AdminClient.SignInAsync(again, "root@example.test", "a long bootstrap password", secret);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Bootstrap_WithoutConfiguration_WritesASetupLinkFile_ThatWorksOnce()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await new PortalHost(Storage, Fast)
        {
            ServiceOverrides = services => services.AddSingleton<ILoggerProvider>(logs),
        }.StartAsync();

        Assert.Equal(0, await DbAsync(host, db => db.Users.CountAsync()));

        // The link is in an owner-only file of the data directory; the log names the file and never holds the link.
        var file = Path.Combine(host.DataDirectory, OmePortal.Web.Admin.AdminBootstrap.SetupLinkFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var link = SetupLink().Match(await File.ReadAllTextAsync(file)).Value;
        var path = new Uri(link).PathAndQuery;
        Assert.StartsWith(host.BaseUrl, link, StringComparison.Ordinal);
        Assert.Single(logs.Messages, m => m.Contains(file, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("/admin/account/setup?token=", StringComparison.Ordinal));

        // Only the token's hash is stored.
        var token = Uri.UnescapeDataString(path.Split("token=")[1]);
        Assert.DoesNotContain(logs.Messages, m => m.Contains(token, StringComparison.Ordinal));
        var stored = await DbAsync(host, db => db.AdminInvitations.SingleAsync());
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)), stored.TokenHash);
        Assert.Null(stored.TenantId);

        using var client = AdminClient.Anonymous(host);
        using (var tooShort = await client.PostFormAsync(path, new Dictionary<string, string>
        {
            ["Input.Email"] = "first@example.test", ["Input.Password"] = "short", ["Input.ConfirmPassword"] = "short",
        }))
        {
            Assert.Equal(HttpStatusCode.OK, tooShort.StatusCode);
            Assert.Equal(0, await DbAsync(host, db => db.Users.CountAsync()));
        }

        using (var created = await client.PostFormAsync(path, new Dictionary<string, string>
        {
            ["Input.Email"] = "first@example.test", ["Input.Password"] = "the first admin's password", ["Input.ConfirmPassword"] = "the first admin's password",
        }))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
            Assert.Equal("/admin/account/signin?status=created", created.Headers.Location!.OriginalString);
        }

        var admin = await DbAsync(host, db => db.Users.SingleAsync());
        Assert.Null(admin.TenantId);
        Assert.NotNull(await DbAsync(host, db => db.AdminInvitations.Select(i => i.UsedAt).SingleAsync()));

        // Used: the page says so and a second POST creates nothing.
        var again = await client.Http.GetStringAsync(path);
        Assert.Contains("cannot be used", again, StringComparison.Ordinal);
        Assert.DoesNotContain("Input.Password", again, StringComparison.Ordinal);
        var antiforgery = await client.AntiforgeryTokenAsync("/admin/account/signin");
        using (var reuse = await client.PostFormWithTokenAsync(path, new Dictionary<string, string>
        {
            ["Input.Email"] = "intruder@example.test", ["Input.Password"] = "the intruder's password", ["Input.ConfirmPassword"] = "the intruder's password",
        }, antiforgery))
        {
            Assert.Equal(HttpStatusCode.OK, reuse.StatusCode);
        }

        Assert.Equal(1, await DbAsync(host, db => db.Users.CountAsync()));
        using var wrongToken = await client.Http.GetAsync("/admin/account/setup?token=" + new string('A', 43));
        Assert.Contains("cannot be used", await wrongToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await DbAsync(host, db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminChanged && e.Actor == "first@example.test")));

        // The next start finds an admin: the spent link's file goes.
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<OmePortal.Web.Admin.AdminBootstrap>().EnsureSystemAdminAsync(CancellationToken.None);
        }

        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task SystemAdmin_CreatesATenant_AfterReview_WithKeyAndDefaultTemplate()
    {
        await using var host = await new PortalHost(Storage, Fast).StartAsync();
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        var fields = new Dictionary<string, string> { ["Input.Slug"] = "acme", ["Input.Name"] = "Acme Corporation" };

        using (var review = await system.PostFormAsync("/admin/system", fields, handler: "Review"))
        {
            Assert.Equal(HttpStatusCode.OK, review.StatusCode);
            var html = await review.Content.ReadAsStringAsync();
            Assert.Contains("This creates the organisation Acme Corporation (short name acme)", html, StringComparison.Ordinal);
            Assert.Contains("handler=Create", html, StringComparison.Ordinal);
        }

        Assert.Equal(1, await DbAsync(host, db => db.Tenants.CountAsync())); // nothing done yet

        using (var created = await system.PostFormAsync("/admin/system", fields, handler: "Create"))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        var tenant = await DbAsync(host, db => db.Tenants.SingleAsync(t => t.Slug == "acme"));
        Assert.Equal("Acme Corporation", tenant.Name);
        Assert.Equal(1, await DbAsync(host, db => db.TenantKeys.CountAsync(k => k.TenantId == tenant.Id && k.IsActive)));
        Assert.Equal(1, await DbAsync(host, db => db.BrandTemplates.CountAsync(b => b.TenantId == tenant.Id && b.IsDefault)));
        Assert.Equal(1, await DbAsync(host, db => db.AuditEvents.CountAsync(e => e.TenantId == tenant.Id && e.Kind == AuditEventKind.TenantChanged && e.Actor == system.Account!.Email)));

        // The same slug again is refused at review.
        using var duplicate = await system.PostFormAsync("/admin/system", fields, handler: "Review");
        Assert.Contains("exists already", await duplicate.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Acting for the new tenant changes the scope of every admin page.
        using (var act = await system.PostFormAsync("/admin/system", new Dictionary<string, string> { ["tenantId"] = tenant.Id.ToString() }, handler: "Act"))
        {
            Assert.Equal(HttpStatusCode.Redirect, act.StatusCode);
        }

        Assert.Contains("Organisation: Acme Corporation", await system.Http.GetStringAsync("/admin"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemAdmin_CreatesTenantAdmins_WithPassword_OrInvitation()
    {
        await using var host = await new PortalHost(Storage, Fast).StartAsync();
        var tenantId = await AdminClient.CreateTenantAsync(host, "beta");
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        var page = $"/admin/system/tenant/{tenantId}";

        using (var review = await system.PostFormAsync(page, new Dictionary<string, string> { ["Input.Email"] = "pw@beta.test", ["Input.Password"] = "an initial password" }, handler: "Review"))
        {
            Assert.Contains("This creates the admin pw@beta.test", await review.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await DbAsync(host, db => db.Users.CountAsync(u => u.TenantId == tenantId)));
        using (var created = await system.PostFormAsync(page, new Dictionary<string, string> { ["Input.Email"] = "pw@beta.test", ["Input.Password"] = "an initial password" }, handler: "Create"))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        Assert.Equal(tenantId, await DbAsync(host, db => db.Users.Where(u => u.Email == "pw@beta.test").Select(u => u.TenantId).SingleAsync()));

        string link;
        using (var invited = await system.PostFormAsync(page, new Dictionary<string, string> { ["Input.Email"] = "invited@beta.test", ["Input.Password"] = string.Empty }, handler: "Create"))
        {
            link = (await HtmlPage.FromAsync(invited)).TestId("invitation-link")?.TextContent ?? string.Empty;
            Assert.StartsWith(host.BaseUrl + "/admin/account/setup?token=", link, StringComparison.Ordinal);
        }

        using var invitee = AdminClient.Anonymous(host);
        var path = new Uri(link).PathAndQuery;
        Assert.Contains("You were invited to administer Tenant beta", await invitee.Http.GetStringAsync(path), StringComparison.Ordinal);
        using (var accepted = await invitee.PostFormAsync(path, new Dictionary<string, string>
        {
            // The address is the invited one, whatever the form says.
            ["Input.Email"] = "someone-else@example.test", ["Input.Password"] = "the invitee's password", ["Input.ConfirmPassword"] = "the invitee's password",
        }))
        {
            Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        }

        Assert.Equal(tenantId, await DbAsync(host, db => db.Users.Where(u => u.Email == "invited@beta.test").Select(u => u.TenantId).SingleAsync()));
        Assert.False(await DbAsync(host, db => db.Users.AnyAsync(u => u.Email == "someone-else@example.test")));

        using (var password = await invitee.PostPasswordAsync("invited@beta.test", "the invitee's password"))
        {
            Assert.Equal("/admin/account/enrol", password.Headers.Location!.OriginalString);
        }

        await invitee.EnrolAsync();
        Assert.Contains("Organisation: Tenant beta", await invitee.Http.GetStringAsync("/admin"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantAdmin_SeesOnlyTheirTenant_AndNeverTheSystemPages()
    {
        await using var host = await new PortalHost(Storage, Fast).StartAsync();
        var otherTenant = await AdminClient.CreateTenantAsync(host, "other", "Other Org");
        using var admin = await AdminClient.SignInTenantAdminAsync(host, "default");

        var dashboard = await admin.Http.GetStringAsync("/admin");
        Assert.Contains("Organisation: Default organisation", dashboard, StringComparison.Ordinal);
        Assert.DoesNotContain("Other Org", dashboard, StringComparison.Ordinal);
        Assert.DoesNotContain("/admin/system", dashboard, StringComparison.Ordinal);

        foreach (var path in new[] { "/admin/system", $"/admin/system/tenant/{otherTenant}" })
        {
            using var response = await admin.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        // POSTs to the system pages (create a tenant, act for another, add an admin) are refused too.
        var token = await admin.AntiforgeryTokenAsync("/admin");
        foreach (var (path, handler) in new[] { ("/admin/system", "Create"), ("/admin/system", "Act"), ($"/admin/system/tenant/{otherTenant}", "Create") })
        {
            using var response = await admin.PostFormWithTokenAsync(path, new Dictionary<string, string>
            {
                ["Input.Slug"] = "evil", ["Input.Name"] = "Evil", ["tenantId"] = otherTenant.ToString(), ["Input.Email"] = "evil@example.test", ["Input.Password"] = "an evil long password",
            }, token, handler);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        // The system admin's tenant choice is ignored for a tenant admin.
        admin.Cookies["__Host-omeportal-admin-tenant"] = otherTenant.ToString();
        Assert.Contains("Organisation: Default organisation", await admin.Http.GetStringAsync("/admin"), StringComparison.Ordinal);

        Assert.False(await DbAsync(host, db => db.Tenants.AnyAsync(t => t.Slug == "evil")));
        Assert.False(await DbAsync(host, db => db.Users.AnyAsync(u => u.Email == "evil@example.test")));

        // A system admin asking for an unknown tenant gets 404.
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        using var unknown = await system.Http.GetAsync($"/admin/system/tenant/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Anonymous_IsSentToSignIn_FromEveryAdminPage()
    {
        await using var host = await new PortalHost(Storage, Fast).StartAsync();
        using var anonymous = AdminClient.Anonymous(host);
        var pages = await DbAsync(host, _ => Task.FromResult(AdminPagePaths(host)));
        Assert.NotEmpty(pages);
        foreach (var path in pages)
        {
            using var response = await anonymous.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{path} answered {(int)response.StatusCode}");
            Assert.Contains("/admin/account/signin", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        // A recipient session is no admin session.
        foreach (var open in new[] { "/admin/account/signin", "/admin/account/signedout", "/admin/account/setup" })
        {
            using var response = await anonymous.Http.GetAsync(open);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>Every Razor page under /admin except the anonymous account pages, route parameters filled with a random id.</summary>
    private static List<string> AdminPagePaths(PortalHost host)
    {
        var sources = host.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>();
        var anonymous = new[] { "/admin/account/signin", "/admin/account/twofactor", "/admin/account/setup", "/admin/account/signedout" };
        return [.. sources.Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Mvc.RazorPages.PageActionDescriptor>() is not null)
            .Select(e => "/" + (e.RoutePattern.RawText ?? string.Empty).TrimStart('/'))
            .Where(p => p.StartsWith("/admin", StringComparison.OrdinalIgnoreCase) && !anonymous.Contains(p, StringComparer.OrdinalIgnoreCase))
            .Select(AdminRoutes.Fill)
            .Distinct()];
    }

    [GeneratedRegex("https?://[^\\s\"<]+/admin/account/setup\\?token=[A-Za-z0-9_-]+")]
    private static partial Regex SetupLink();

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(Messages);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                messages.Enqueue(formatter(state, exception));
        }
    }
}

public sealed class SystemAdminSqliteTests : SystemAdminTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SystemAdminPostgresTests : SystemAdminTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
