using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// Every admin Razor page (with each of its handlers) and every admin endpoint needs an admin signed in
/// with both factors (<see cref="AdminPolicies.TenantAdmin"/> or <see cref="AdminPolicies.SystemAdmin"/>),
/// except the account pages named in <see cref="AllowList"/>.
/// </summary>
/// <remarks>
/// Why a new page cannot slip through: the Razor SDK compiles every .cshtml with <c>@page</c> into the
/// portal, and <c>MapRazorPages</c> puts each one in the <see cref="EndpointDataSource"/> this test reads,
/// whatever its folder or route. A page is an admin page when its file is under Admin/ (view engine path
/// /Admin/...) or its route starts with /admin, so a page placed in Admin/ under any route and a page placed
/// anywhere with an /admin route are both checked. Its authorisation is read from the compiled page (where
/// the folder conventions land), evaluated against real principals, and then asked for over HTTP. A page
/// that is not on <see cref="AllowList"/> and lacks the two-factor policy (an [AllowAnonymous], a weaker
/// policy, an entry added to <see cref="AdminPolicies.PagesBeforeSignIn"/> without changing this list)
/// fails <see cref="EveryAdminPageAndEndpoint_NeedsTheTwoFactorPolicy"/>; the same check applied to such
/// endpoints made up in code is shown failing in <see cref="Check_FlagsEndpointsWithoutTheTwoFactorPolicy"/>.
/// Minimal-API endpoints under /admin and /api/admin are enumerated the same way.
/// </remarks>
public abstract partial class AdminAuthorizationTests : IAsyncLifetime
{
    /// <summary>How an allowed exception may be reached.</summary>
    public enum Access
    {
        /// <summary>With no admin session at all.</summary>
        Anonymous,

        /// <summary>With the password only (<see cref="AdminPolicies.SignedIn"/>).</summary>
        PasswordOnly,
    }

    /// <summary>
    /// The account pages and endpoints that must work before the second factor. This list is the test's own:
    /// widening the product's lists without changing it fails the test.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Access> AllowList = new Dictionary<string, Access>(StringComparer.OrdinalIgnoreCase)
    {
        ["/admin/account/signin"] = Access.Anonymous,
        ["/admin/account/twofactor"] = Access.Anonymous,
        ["/admin/account/setup"] = Access.Anonymous,
        ["/admin/account/signedout"] = Access.Anonymous,

        // Signing in with a passkey (a passkey with user verification stands for both factors).
        ["/admin/account/passkeys/signin/options"] = Access.Anonymous,
        ["/admin/account/passkeys/signin"] = Access.Anonymous,

        // After the password, an admin without an authenticator must be able to enrol one, and anyone to leave.
        ["/admin/account/enrol"] = Access.PasswordOnly,
        ["/admin/account/signout"] = Access.PasswordOnly,
    };

    private static readonly Dictionary<string, string?> Fast = new() { ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "10000" };

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Fast).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>One admin page or endpoint: its route, the HTTP method and handler to call it with, and its final metadata.</summary>
    public sealed record AdminEndpoint(string Route, string? ViewEnginePath, string Method, string? Handler, EndpointMetadataCollection Metadata)
    {
        public override string ToString() => $"{Method} {Route}{(Handler is null ? string.Empty : "?handler=" + Handler)}";
    }

    [Fact]
    public async Task EveryAdminPageAndEndpoint_NeedsTheTwoFactorPolicy()
    {
        var endpoints = await AdminEndpointsAsync(_host.Services);

        // The enumeration found what it must: the pages of each admin feature, their POST handlers, the passkey API.
        foreach (var expected in new[] { "/admin", "/admin/trace/{id:guid}", "/admin/branding/{id}", "/admin/rules/{id}", "/admin/keys", "/admin/audit", "/admin/messages/{id:guid}/revoke", "/admin/system", "/admin/account/security", "/admin/account/passkeys/registration/options" })
        {
            Assert.Contains(endpoints, e => string.Equals(e.Route, expected, StringComparison.OrdinalIgnoreCase));
        }

        Assert.Contains(endpoints, e => e.ViewEnginePath is not null && e.Method == HttpMethods.Post && e.Handler is not null);
        foreach (var allowed in AllowList.Keys)
        {
            Assert.Contains(endpoints, e => string.Equals(e.Route, allowed, StringComparison.OrdinalIgnoreCase));
        }

        var problems = await ProblemsAsync(endpoints, _host.Services);
        Assert.True(problems.Count == 0, "Admin endpoints without the two-factor policy:\n" + string.Join("\n", problems));
    }

    /// <summary>The check above, given endpoints made up in code: it flags each way an admin page could be left open.</summary>
    [Fact]
    public async Task Check_FlagsEndpointsWithoutTheTwoFactorPolicy()
    {
        AdminEndpoint Page(string route, params object[] metadata) =>
            new(route, "/Admin/New", HttpMethods.Get, null, new EndpointMetadataCollection(metadata));

        var open = new[]
        {
            Page("/admin/new"),
            Page("/admin/account/new", new AuthorizeAttribute(AdminPolicies.SignedIn)),
            Page("/admin/new-anonymous", new AuthorizeAttribute(AdminPolicies.TenantAdmin), new AllowAnonymousAttribute()),
            Page("/admin/new-default", new AuthorizeAttribute()),
            Page("/admin/account/signin", new AuthorizeAttribute(AdminPolicies.SignedIn)),
            Page("/admin/account/enrol", new AllowAnonymousAttribute()),
        };
        foreach (var endpoint in open)
        {
            Assert.NotEmpty(await ProblemsAsync([endpoint], _host.Services));
        }

        Assert.Empty(await ProblemsAsync(
            [Page("/admin/new", new AuthorizeAttribute(AdminPolicies.TenantAdmin)), Page("/admin/system/new", new AuthorizeAttribute(AdminPolicies.TenantAdmin), new AuthorizeAttribute(AdminPolicies.SystemAdmin))],
            _host.Services));
    }

    /// <summary>
    /// Over HTTP, every admin page with each of its handlers and every admin endpoint refuses a request with no
    /// session, with the password only (an admin without an authenticator), and with the password entered but
    /// the code not yet (an admin with an authenticator); an admin with both factors gets in.
    /// </summary>
    [Fact]
    public async Task EveryAdminPageAndEndpoint_RefusesNoSession_AndThePasswordAlone()
    {
        var endpoints = (await AdminEndpointsAsync(_host.Services)).Where(e => !AllowList.ContainsKey(e.Route)).ToList();
        using var anonymous = AdminClient.Anonymous(_host);

        var unenrolled = await AdminClient.CreateAdminAsync(_host, await DefaultTenantAsync(), enrolled: false);
        using var passwordOnly = AdminClient.Anonymous(_host);
        using (var signIn = await passwordOnly.PostPasswordAsync(unenrolled.Email, unenrolled.Password))
        {
            Assert.Equal("/admin/account/enrol", signIn.Headers.Location?.OriginalString);
        }

        var enrolled = await AdminClient.CreateTenantAdminAsync(_host);
        using var codePending = AdminClient.Anonymous(_host);
        using (var signIn = await codePending.PostPasswordAsync(enrolled.Email, enrolled.Password))
        {
            Assert.StartsWith("/admin/account/twofactor", signIn.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }

        foreach (var endpoint in endpoints)
        {
            await AssertRefusedAsync(anonymous, endpoint, "/admin/account/signin");
            await AssertRefusedAsync(passwordOnly, endpoint, "/admin/account/enrol");
            await AssertRefusedAsync(codePending, endpoint, "/admin/account/signin");
        }

        // The same requests with both factors reach the page.
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        using var home = await admin.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);

        // The password-only pages open with the password alone; the pages before sign-in with nothing (no
        // challenge: the code page may send a visitor without a pending sign-in back to the password page).
        using (var enrol = await passwordOnly.Http.GetAsync("/admin/account/enrol"))
        {
            Assert.Equal(HttpStatusCode.OK, enrol.StatusCode);
        }

        foreach (var open in AllowList.Where(a => a.Value == Access.Anonymous && !a.Key.Contains("/passkeys/", StringComparison.Ordinal)))
        {
            using var response = await anonymous.Http.GetAsync(open.Key);
            var location = response.Headers.Location?.OriginalString ?? string.Empty;
            Assert.True(
                response.StatusCode == HttpStatusCode.OK || (response.StatusCode == HttpStatusCode.Redirect && !location.Contains("ReturnUrl=", StringComparison.OrdinalIgnoreCase)),
                $"{open.Key} answered {(int)response.StatusCode} {location}");
        }
    }

    private static async Task AssertRefusedAsync(AdminClient client, AdminEndpoint endpoint, string expectedRedirect)
    {
        var path = AdminRoutes.Fill(endpoint.Route);
        if (endpoint.Handler is not null)
        {
            path += "?handler=" + Uri.EscapeDataString(endpoint.Handler);
        }

        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), path.Length == 0 ? "/" : path);
        if (endpoint.Method != HttpMethods.Get)
        {
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = Guid.NewGuid().ToString() });
        }

        using var response = await client.Http.SendAsync(request);
        var location = response.Headers.Location?.OriginalString ?? string.Empty;
        Assert.True(
            response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                && (response.StatusCode != HttpStatusCode.Redirect || location.Contains(expectedRedirect, StringComparison.Ordinal)),
            $"{endpoint} answered {(int)response.StatusCode} {location}; expected a refusal ({expectedRedirect})");
    }

    private async Task<Guid> DefaultTenantAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().Tenants.Where(t => t.Slug == "default").Select(t => t.Id).SingleAsync();
    }

    /// <summary>
    /// The admin pages (file under /Admin or route under /admin; one entry per handler, read from the compiled
    /// page, whose endpoint carries the folder conventions) and the minimal-API endpoints under /admin and /api/admin.
    /// </summary>
    public static async Task<IReadOnlyList<AdminEndpoint>> AdminEndpointsAsync(IServiceProvider services)
    {
        var loader = services.GetRequiredService<PageLoader>();
        var result = new List<AdminEndpoint>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var route = "/" + (endpoint.RoutePattern.RawText ?? string.Empty).TrimStart('/');
            var underAdmin = route.StartsWith("/admin", StringComparison.OrdinalIgnoreCase) || route.StartsWith("/api/admin", StringComparison.OrdinalIgnoreCase);
            if (endpoint.Metadata.GetMetadata<PageActionDescriptor>() is { } page)
            {
                if (!underAdmin && !page.ViewEnginePath.StartsWith("/Admin/", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var compiled = await loader.LoadAsync(page, endpoint.Metadata);
                var metadata = compiled.Endpoint?.Metadata ?? new EndpointMetadataCollection(compiled.EndpointMetadata);
                var handlers = compiled.HandlerMethods.Select(h => (Method: h.HttpMethod.ToUpperInvariant(), h.Name)).Distinct().ToList();
                if (handlers.Count == 0)
                {
                    handlers.Add((HttpMethods.Get, null));
                }

                result.AddRange(handlers.Select(h => new AdminEndpoint(route, page.ViewEnginePath, h.Method, h.Name, metadata)));
            }
            else if (underAdmin)
            {
                var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get];
                result.AddRange(methods.Select(m => new AdminEndpoint(route, null, m, null, endpoint.Metadata)));
            }
        }

        return result;
    }

    /// <summary>
    /// What is wrong with each endpoint's authorisation. Outside the allow-list: no [AllowAnonymous], one of
    /// the two-factor policies named, and the combined policy refuses no session and the password alone
    /// while letting a two-factor admin in. On the allow-list: exactly the access listed.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(IEnumerable<AdminEndpoint> endpoints, IServiceProvider services)
    {
        var provider = services.GetRequiredService<IAuthorizationPolicyProvider>();
        var authorization = services.GetRequiredService<IAuthorizationService>();
        var tenantId = Guid.NewGuid().ToString();
        var nobody = new ClaimsPrincipal(new ClaimsIdentity());
        var tenantPasswordOnly = Admin(tenantId, twoFactors: false);
        var systemPasswordOnly = Admin(tenant: null, twoFactors: false);
        var tenantAdmin = Admin(tenantId, twoFactors: true);
        var systemAdmin = Admin(tenant: null, twoFactors: true);

        var problems = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var anonymousAllowed = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var authorizeData = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>();
            var policy = await AuthorizationPolicy.CombineAsync(provider, authorizeData, endpoint.Metadata.GetOrderedMetadata<AuthorizationPolicy>());
            async Task<bool> AdmitsAsync(ClaimsPrincipal user) =>
                anonymousAllowed || policy is null || (await authorization.AuthorizeAsync(user, null, policy)).Succeeded;

            if (AllowList.TryGetValue(endpoint.Route, out var access))
            {
                var actual = await AdmitsAsync(nobody) ? Access.Anonymous
                    : await AdmitsAsync(tenantPasswordOnly) && await AdmitsAsync(systemPasswordOnly) ? Access.PasswordOnly
                    : (Access?)null;
                if (actual != access)
                {
                    problems.Add($"{endpoint}: allow-listed as {access}, but is {actual?.ToString() ?? "two-factor only"}");
                }

                continue;
            }

            if (anonymousAllowed)
            {
                problems.Add($"{endpoint}: allows anonymous requests");
                continue;
            }

            if (!authorizeData.Any(a => a.Policy is AdminPolicies.TenantAdmin or AdminPolicies.SystemAdmin))
            {
                problems.Add($"{endpoint}: names neither {AdminPolicies.TenantAdmin} nor {AdminPolicies.SystemAdmin}");
            }

            foreach (var (name, user) in new[] { ("no session", nobody), ("a tenant admin's password alone", tenantPasswordOnly), ("a system admin's password alone", systemPasswordOnly) })
            {
                if (await AdmitsAsync(user))
                {
                    problems.Add($"{endpoint}: admits {name}");
                }
            }

            if (!await AdmitsAsync(systemAdmin))
            {
                problems.Add($"{endpoint}: refuses even a system admin with both factors");
            }

            var systemOnly = authorizeData.Any(a => a.Policy == AdminPolicies.SystemAdmin);
            if (systemOnly == await AdmitsAsync(tenantAdmin))
            {
                problems.Add($"{endpoint}: a tenant admin with both factors is {(systemOnly ? "let in" : "refused")}");
            }
        }

        return problems;
    }

    private static ClaimsPrincipal Admin(string? tenant, bool twoFactors)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()), new(ClaimTypes.Email, "admin@example.test") };
        if (tenant is not null)
        {
            claims.Add(new Claim(AdminAuthentication.TenantClaim, tenant));
        }

        if (twoFactors)
        {
            claims.Add(new Claim(AdminAuthentication.MethodClaim, AdminAuthentication.TwoFactorMethod));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, AdminAuthentication.Scheme));
    }

}

public sealed class AdminAuthorizationSqliteTests : AdminAuthorizationTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AdminAuthorizationPostgresTests : AdminAuthorizationTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
