using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Admin;

/// <summary>Admin sign-in over real HTTP: both factors needed, lockout on either step, enrolment, sign-out.</summary>
public abstract class AccountSignInTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, new Dictionary<string, string?>
    {
        ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => _host.DbAsync(query);

    [Fact]
    public async Task SignIn_PasswordAndTotp_ReachesTheAdmin()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        using var admin = await AdminClient.SignInAsync(_host, account.Email, account.Password, account.TotpSecret);

        using var dashboard = await admin.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        var html = await dashboard.Content.ReadAsStringAsync();
        Assert.Contains("Default organisation", html, StringComparison.Ordinal);
        Assert.Contains(account.Email, html, StringComparison.Ordinal);
        Assert.Contains("no-store", dashboard.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
        Assert.True(admin.Cookies.ContainsKey("__Host-omeportal-admin"));
        Assert.False(admin.Cookies.ContainsKey("__Host-omeportal"));
        Assert.Equal(1, await DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminSignedIn && e.Actor == account.Email)));
    }

    [Fact]
    public async Task SignIn_PasswordAlone_ReachesNothingUnderAdmin()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        using var admin = AdminClient.Anonymous(_host);
        using var password = await admin.PostPasswordAsync(account.Email, account.Password);
        Assert.Equal(HttpStatusCode.Redirect, password.StatusCode);
        Assert.StartsWith("/admin/account/twofactor", password.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.False(admin.Cookies.ContainsKey("__Host-omeportal-admin"));

        foreach (var path in new[] { "/admin", "/admin/system", "/admin/account/enrol" })
        {
            using var response = await admin.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("http://localhost:" + _host.HttpPort + "/admin/account/signin", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SignIn_WrongTotp_FiveTimes_LocksTheAccount()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        using var admin = AdminClient.Anonymous(_host);
        using (var password = await admin.PostPasswordAsync(account.Email, account.Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, password.StatusCode);
        }

        var wrong = AdminClient.TotpCode(account.TotpSecret) == "000000" ? "111111" : "000000";
        for (var i = 0; i < 5; i++)
        {
            using var attempt = await admin.PostTotpAsync(wrong);
            Assert.Equal(HttpStatusCode.OK, attempt.StatusCode);
        }

        // Now even the right code (and the right password) are refused.
        using (var right = await admin.PostTotpAsync(AdminClient.TotpCode(account.TotpSecret)))
        {
            Assert.NotEqual(HttpStatusCode.Redirect, right.StatusCode);
            Assert.Contains("locked", await right.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        using var again = AdminClient.Anonymous(_host);
        using var retry = await again.PostPasswordAsync(account.Email, account.Password);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Contains("locked", await retry.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.True(await DbAsync(db => db.Users.Where(u => u.Id == account.Id).Select(u => u.LockoutEnd).SingleAsync()) > DateTimeOffset.UtcNow.AddMinutes(10));
        Assert.True(await DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminSignInFailed && e.Actor == account.Email)) >= 5);
    }

    [Fact]
    public async Task SignIn_ACodeAlreadyAccepted_IsRefused_TheNextStepWorks()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        var code = await AdminClient.NextTotpCodeAsync(account.TotpSecret);
        using (var first = await PastPasswordAsync(account))
        using (var accepted = await first.PostTotpAsync(code))
        {
            Assert.Equal("/admin", accepted.Headers.Location?.OriginalString);
        }

        // Still inside the code's 30 s window, and still refused: somebody who saw it cannot sign in with it.
        using var second = await PastPasswordAsync(account);
        using (var replayed = await second.PostTotpAsync(code))
        {
            Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
            Assert.Contains("used already", await replayed.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.False(second.Cookies.ContainsKey("__Host-omeportal-admin"));
        using var next = await second.PostTotpAsync(await AdminClient.NextTotpCodeAsync(account.TotpSecret));
        Assert.Equal("/admin", next.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task SignIn_AnEarlierStepAfterALaterOne_IsRefused()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        var now = DateTime.UtcNow;
        using (var first = await PastPasswordAsync(account))
        using (var later = await first.PostTotpAsync(AdminClient.TotpCode(account.TotpSecret, now.AddSeconds(30))))
        {
            Assert.Equal("/admin", later.Headers.Location?.OriginalString);
        }

        using var second = await PastPasswordAsync(account);
        using var earlier = await second.PostTotpAsync(AdminClient.TotpCode(account.TotpSecret, now));
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
        Assert.False(second.Cookies.ContainsKey("__Host-omeportal-admin"));
    }

    [Fact]
    public async Task SignIn_TheSameCodeSubmittedTwiceAtOnce_SignsInOnce()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        var clients = new List<AdminClient>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await PastPasswordAsync(account));
        }

        var code = await AdminClient.NextTotpCodeAsync(account.TotpSecret);
        var answers = await Task.WhenAll(clients.Select(c => c.PostTotpAsync(code)));
        Assert.Equal(1, answers.Count(a => a.Headers.Location?.OriginalString == "/admin"));
        Assert.Equal(1, clients.Count(c => c.Cookies.ContainsKey("__Host-omeportal-admin")));
        foreach (var disposable in answers.Cast<IDisposable>().Concat(clients))
        {
            disposable.Dispose();
        }
    }

    private async Task<AdminClient> PastPasswordAsync(AdminAccount account)
    {
        var client = AdminClient.Anonymous(_host);
        using var password = await client.PostPasswordAsync(account.Email, account.Password);
        Assert.StartsWith("/admin/account/twofactor", password.Headers.Location?.OriginalString, StringComparison.Ordinal);
        return client;
    }

    [Fact]
    public async Task SignIn_WrongPassword_FiveTimes_LocksTheAccount()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        using var admin = AdminClient.Anonymous(_host);
        for (var i = 0; i < 5; i++)
        {
            using var attempt = await admin.PostPasswordAsync(account.Email, "not the password at all");
            Assert.Equal(HttpStatusCode.OK, attempt.StatusCode);
        }

        using var right = await admin.PostPasswordAsync(account.Email, account.Password);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("locked", await right.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.False(admin.Cookies.ContainsKey("__Host-omeportal-admin-2fa"));
    }

    [Fact]
    public async Task SignIn_UnknownAddress_SameAnswerAsWrongPassword()
    {
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        using var admin = AdminClient.Anonymous(_host);
        using var unknown = await admin.PostPasswordAsync("nobody@example.test", "whatever password");
        using var wrong = await admin.PostPasswordAsync(account.Email, "whatever password");
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        static string Shape(string html) => System.Text.RegularExpressions.Regex.Replace(html, "value=\"[^\"]*\"|nonce[-=][^\"' ]+", "X");
        Assert.Equal(Shape(await wrong.Content.ReadAsStringAsync()), Shape(await unknown.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task FirstSignIn_WithoutAuthenticator_OnlyReachesEnrolment_ThenEnrolsAndShowsRecoveryCodes()
    {
        var account = await AdminClient.CreateAdminAsync(_host, await DbAsync(db => db.Tenants.Select(t => t.Id).SingleAsync()), enrolled: false);
        using var admin = AdminClient.Anonymous(_host);
        using (var password = await admin.PostPasswordAsync(account.Email, account.Password))
        {
            Assert.Equal("/admin/account/enrol", password.Headers.Location!.OriginalString);
        }

        foreach (var path in new[] { "/admin", "/admin/system", "/admin/branding" })
        {
            using var response = await admin.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/admin/account/enrol", response.Headers.Location!.OriginalString);
        }

        var enrolPage = await admin.Http.GetStringAsync("/admin/account/enrol");
        Assert.Contains("src=\"data:image/png;base64,", enrolPage, StringComparison.Ordinal);

        var (secret, codes) = await admin.EnrolAsync();
        Assert.Equal(10, codes.Count);
        using (var dashboard = await admin.Http.GetAsync("/admin"))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }

        // Codes are shown once: the enrolment page no longer offers anything.
        using (var enrolAgain = await admin.Http.GetAsync("/admin/account/enrol"))
        {
            Assert.Equal(HttpStatusCode.Redirect, enrolAgain.StatusCode);
        }

        // From now on the sign-in asks for the code, and a recovery code works once.
        using var next = await AdminClient.SignInAsync(_host, account.Email, account.Password, secret);
        using var recovery = AdminClient.Anonymous(_host);
        using (await recovery.PostPasswordAsync(account.Email, account.Password))
        {
        }

        using (var used = await recovery.PostFormAsync("/admin/account/twofactor", new Dictionary<string, string> { ["Input.RecoveryCode"] = codes[0] }))
        {
            Assert.Equal("/admin", used.Headers.Location!.OriginalString);
        }

        using var reuse = AdminClient.Anonymous(_host);
        using (await reuse.PostPasswordAsync(account.Email, account.Password))
        {
        }

        using var reused = await reuse.PostFormAsync("/admin/account/twofactor", new Dictionary<string, string> { ["Input.RecoveryCode"] = codes[0] });
        Assert.Equal(HttpStatusCode.OK, reused.StatusCode);
    }

    [Fact]
    public async Task SignOut_EndsTheAdminSession()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host);
        var cookie = admin.Cookies["__Host-omeportal-admin"];
        var token = await admin.AntiforgeryTokenAsync("/admin"); // the sign-out form in the layout
        using var signedOut = await admin.PostFormWithTokenAsync("/admin/account/signout", new Dictionary<string, string>(), token);
        Assert.Equal("/admin/account/signedout", signedOut.Headers.Location!.OriginalString);
        using var after = await admin.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.False(admin.Cookies.ContainsKey("__Host-omeportal-admin"));
        Assert.NotEmpty(cookie);
    }
}

public sealed class AccountSignInSqliteTests : AccountSignInTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AccountSignInPostgresTests : AccountSignInTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
