using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// Issue 19 item 6: admin sessions held on the server (absolute lifetime, sign-out for every copy of the
/// cookie, the admin's list of sessions, sign out everywhere), password change, new recovery codes, a
/// system admin disabling, re-enabling, removing and resetting admins, and the initial password that must
/// be changed first. Each refusal is proved for strangers, and each action is audited.
/// </summary>
public abstract class AdminLifecycleTests
{
    private const string SecurityPage = "/admin/account/security";
    private const string PasswordPage = "/admin/account/password";
    private const string NewPassword = "a brand new admin passphrase";

    private static readonly Dictionary<string, string?> Fast = new() { ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "10000" };

    protected abstract StorageKind Storage { get; }

    private Task<PortalHost> StartAsync(ManualTimeProvider? clock = null, IDictionary<string, string?>? settings = null) =>
        new PortalHost(Storage, settings ?? Fast) { ServiceOverrides = clock is null ? null : s => s.AddSingleton<TimeProvider>(clock) }.StartAsync();

    [Fact]
    public async Task Session_EndsAtTheAbsoluteLifetime_HoweverActive()
    {
        var clock = new ManualTimeProvider();
        await using var host = await StartAsync(clock);
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        // Active every 40 minutes: the idle timeout (1 h) slides along, the 8 hours from sign-in do not.
        for (var elapsed = 40; elapsed < 8 * 60; elapsed += 40)
        {
            clock.Advance(TimeSpan.FromMinutes(40));
            using var page = await admin.Http.GetAsync("/admin");
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"refused after {elapsed} minutes of activity");
        }

        clock.Advance(TimeSpan.FromMinutes(40));
        using var late = await admin.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, late.StatusCode);
        Assert.Contains("/admin/account/signin", late.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbsoluteLifetimeOutOfRange_FailsAtStart()
    {
        var host = new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Admin:SessionAbsoluteLifetime"] = "00:00:30" });
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
            Assert.Contains("SessionAbsoluteLifetime", failure.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer_AStolenCopyOfTheCookieNoLongerWorks()
    {
        await using var host = await StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);
        using var thief = CopyOf(host, admin);
        using (var before = await thief.Http.GetAsync("/admin"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using (var signedOut = await admin.PostFormAsync("/admin/account/signout", new Dictionary<string, string>(), tokenPage: "/admin"))
        {
            Assert.Equal("/admin/account/signedout", signedOut.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(thief);
        Assert.True(await host.DbAsync(db => db.AdminSessions.AnyAsync(s => s.AdminUserId == admin.Account!.Id && s.EndedAt != null)));
        Assert.Equal(1, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminSessionEnded && e.Actor == admin.Account!.Email)));
    }

    [Fact]
    public async Task SecurityPage_ListsSessions_EndsOne_AndSignsOutEverywhereElse()
    {
        await using var host = await StartAsync();
        using var first = await AdminClient.SignInTenantAdminAsync(host);
        var account = first.Account!;
        using var second = await AdminClient.SignInAsync(host, account.Email, account.Password, account.TotpSecret);
        using var third = await SignInWithRecoveryCodeAsync(host, account);

        var page = await first.GetPageAsync(SecurityPage);
        var listed = page.FindAll("[data-session]");
        Assert.Equal(3, listed.Count);
        var current = Assert.Single(page.FindAll("[data-session][data-current='true']")).GetAttribute("data-session");
        Assert.Equal(await CurrentSessionIdAsync(first), current);
        var secondId = await CurrentSessionIdAsync(second) ?? throw new InvalidOperationException("The second session shows no current session.");

        // Another admin cannot end it.
        using (var stranger = await AdminClient.SignInTenantAdminAsync(host))
        using (var refused = await stranger.PostFormAsync(SecurityPage, new Dictionary<string, string> { ["id"] = secondId }, handler: "EndSession"))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        using (await AssertOkAsync(second, "/admin"))
        {
        }

        using (var ended = await first.PostFormAsync(SecurityPage, new Dictionary<string, string> { ["id"] = secondId }, handler: "EndSession"))
        {
            Assert.Equal("/admin/account/security?status=session-ended", ended.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(second);
        using (await AssertOkAsync(third, "/admin"))
        {
        }

        using (var everywhere = await first.PostFormAsync(SecurityPage, new Dictionary<string, string>(), handler: "EndOthers"))
        {
            Assert.Equal("/admin/account/security?status=sessions-ended", everywhere.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(third);
        var after = await first.GetPageAsync(SecurityPage);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal(current, Assert.Single(after.FindAll("[data-session]")).GetAttribute("data-session"));
        Assert.Equal(2, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminSessionEnded && e.Actor == account.Email)));
    }

    [Fact]
    public async Task ChangePassword_NeedsTheCurrentOne_AppliesThePolicy_EndsOtherSessions_KeepsThisOne()
    {
        var clock = new ManualTimeProvider();
        await using var host = await StartAsync(clock);
        using var admin = await AdminClient.SignInTenantAdminAsync(host);
        var account = admin.Account!;
        using var other = await SignInWithRecoveryCodeAsync(host, account);

        var refusals = new (string Current, string New, string Field)[]
        {
            ("not my password at all", NewPassword, "current-error"),
            (account.Password, "Password1234", "new-error"),
            (account.Password, "too short", "new-error"),
            (account.Password, account.Password, "new-error"),
        };
        foreach (var (currentPassword, proposed, field) in refusals)
        {
            using var refused = await ChangePasswordAsync(admin, currentPassword, proposed);
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.False(string.IsNullOrEmpty((await HtmlPage.FromAsync(refused)).FieldError(field)), $"{proposed}: no message at {field}");
        }

        using (var common = await ChangePasswordAsync(admin, account.Password, "qwertyuiop123"))
        {
            Assert.Contains("common passwords", (await HtmlPage.FromAsync(common)).FieldError("new-error"), StringComparison.Ordinal);
        }

        using (var changed = await ChangePasswordAsync(admin, account.Password, NewPassword))
        {
            Assert.Equal("/admin/account/security?status=password-changed", changed.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(other);

        // This session continues past the next security stamp check (the password change gave a new stamp).
        clock.Advance(TimeSpan.FromMinutes(3));
        using (await AssertOkAsync(admin, "/admin"))
        {
        }

        using var oldPassword = AdminClient.Anonymous(host);
        using (var refused = await oldPassword.PostPasswordAsync(account.Email, account.Password))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        }

        using var newPassword = AdminClient.Anonymous(host);
        using (var accepted = await newPassword.PostPasswordAsync(account.Email, NewPassword))
        {
            Assert.StartsWith("/admin/account/twofactor", accepted.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }

        Assert.Equal(1, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminPasswordChanged && e.Actor == account.Email)));
    }

    [Fact]
    public async Task RecoveryCodes_Regenerated_AreShownOnce_AndTheOldOnesStopWorking()
    {
        await using var host = await StartAsync();
        var tenantId = await host.DbAsync(db => db.Tenants.Select(t => t.Id).SingleAsync());
        var account = await AdminClient.CreateAdminAsync(host, tenantId, enrolled: false);
        using var admin = AdminClient.Anonymous(host);
        using (await admin.PostPasswordAsync(account.Email, account.Password))
        {
        }

        var (_, oldCodes) = await admin.EnrolAsync();
        IReadOnlyList<string> newCodes;
        using (var regenerated = await admin.PostFormAsync(SecurityPage, new Dictionary<string, string>(), handler: "RecoveryCodes"))
        {
            Assert.Equal(HttpStatusCode.OK, regenerated.StatusCode);
            newCodes = (await HtmlPage.FromAsync(regenerated)).TestId("recovery-codes")?.QuerySelectorAll("li").Select(li => li.TextContent.Trim()).ToList() ?? [];
        }

        Assert.Equal(10, newCodes.Count);
        Assert.Empty(newCodes.Intersect(oldCodes));
        Assert.Null((await admin.GetPageAsync(SecurityPage)).TestId("recovery-codes"));

        using (var old = AdminClient.Anonymous(host))
        using (var refused = await RecoveryCodeSignInAsync(old, account, oldCodes[0]))
        {
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        }

        using (var fresh = AdminClient.Anonymous(host))
        using (var accepted = await RecoveryCodeSignInAsync(fresh, account, newCodes[0]))
        {
            Assert.Equal("/admin", accepted.Headers.Location?.OriginalString);
        }

        Assert.Equal(1, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminRecoveryCodesRegenerated && e.Actor == account.Email)));
    }

    [Fact]
    public async Task SystemAdmin_DisablesAnAdmin_SessionsEndAtOnce_SignInRefused_UntilReEnabled()
    {
        await using var host = await StartAsync();
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        using var target = await AdminClient.SignInTenantAdminAsync(host);
        var account = target.Account!;
        var page = $"/admin/system/admins/{account.Id}";

        using (var disabled = await system.PostFormAsync(page, new Dictionary<string, string>(), handler: "Disable"))
        {
            Assert.Equal(page + "?done=disabled", disabled.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(target);
        var unknownAnswer = await PasswordStepAlertAsync(host, $"nobody-{Guid.NewGuid():N}@example.test", account.Password);
        Assert.Equal(unknownAnswer, await PasswordStepAlertAsync(host, account.Email, account.Password));
        Assert.Contains("Disabled", (await system.GetPageAsync(page)).TestId("account-status")?.TextContent, StringComparison.Ordinal);

        using (var enabled = await system.PostFormAsync(page, new Dictionary<string, string>(), handler: "Enable"))
        {
            Assert.Equal(page + "?done=enabled", enabled.Headers.Location?.OriginalString);
        }

        using var back = await AdminClient.SignInAsync(host, account.Email, account.Password, account.TotpSecret);
        using (await AssertOkAsync(back, "/admin"))
        {
        }

        // Both actions are in the tenant's audit log, and the viewer names their kinds.
        Assert.Equal(1, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminDisabled && e.Detail == account.Email && e.TenantId == account.TenantId)));
        Assert.Equal(1, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminEnabled && e.Detail == account.Email)));
        var audit = await system.GetPageAsync("/admin/audit?kind=AdminDisabled");
        Assert.Contains("Admin account disabled", audit.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemAdmin_CannotDisableOrRemoveThemselves_NorTheLastSystemAdmin()
    {
        await using var host = await StartAsync();
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        var self = system.Account!.Id;
        foreach (var handler in new[] { "Disable", "Remove", "ResetAuthenticator" })
        {
            using var refused = await system.PostFormAsync($"/admin/system/admins/{self}", new Dictionary<string, string>(), handler: handler);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        }

        using (await AssertOkAsync(system, "/admin/system"))
        {
        }

        Assert.True(await host.DbAsync(db => db.Users.AnyAsync(u => u.Id == self && u.DisabledAt == null && u.TwoFactorEnabled)));

        // Acting for someone who is not a system admin (no page lets that happen), the rule still holds.
        var outcome = await host.InScopeAsync(services => services.GetRequiredService<AdminLifecycle>()
            .DisableAsync(self, actorId: Guid.NewGuid(), actor: "someone", CancellationToken.None));
        Assert.Equal(AdminAccountOutcome.LastSystemAdmin, outcome);

        // With a second system admin, one of them may go.
        var second = await AdminClient.CreateAdminAsync(host, tenantId: null);
        using (var disabled = await system.PostFormAsync($"/admin/system/admins/{second.Id}", new Dictionary<string, string>(), handler: "Disable"))
        {
            Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);
        }

        Assert.False(await host.DbAsync(db => db.Users.AnyAsync(u => u.Id == second.Id && u.DisabledAt == null)));
    }

    [Fact]
    public async Task SystemAdmin_RemovesAnAdmin_TheirSessionsEnd()
    {
        await using var host = await StartAsync();
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        using var target = await AdminClient.SignInTenantAdminAsync(host);
        var account = target.Account!;
        var page = $"/admin/system/admins/{account.Id}";

        Assert.NotNull((await system.GetPageAsync(page + "?remove=1")).TestId("remove-confirmation"));
        using (var removed = await system.PostFormAsync(page, new Dictionary<string, string>(), handler: "Remove"))
        {
            Assert.Equal($"/admin/system/tenant/{account.TenantId}?removed={Uri.EscapeDataString(account.Email)}", removed.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(target);
        Assert.False(await host.DbAsync(db => db.Users.AnyAsync(u => u.Id == account.Id)));
        Assert.False(await host.DbAsync(db => db.AdminSessions.AnyAsync(s => s.AdminUserId == account.Id)));
        Assert.Equal(1, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminRemoved && e.Detail == account.Email)));
        using (var gone = await system.Http.GetAsync(page))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task SystemAdmin_ResetsTheAuthenticator_SessionsEnd_AndTheAdminEnrolsAgain()
    {
        await using var host = await StartAsync();
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        using var target = await AdminClient.SignInTenantAdminAsync(host);
        var account = target.Account!;
        var page = $"/admin/system/tenant/{account.TenantId}";
        Assert.NotNull((await system.GetPageAsync(page)).Find($"a[data-admin='{account.Id}']"));

        using (var reset = await system.PostFormAsync($"/admin/system/admins/{account.Id}", new Dictionary<string, string>(), handler: "ResetAuthenticator"))
        {
            Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);
        }

        await AssertSignedOutAsync(target);
        using var again = AdminClient.Anonymous(host);
        using (var password = await again.PostPasswordAsync(account.Email, account.Password))
        {
            Assert.Equal("/admin/account/enrol", password.Headers.Location?.OriginalString);
        }

        using (var notYet = await again.Http.GetAsync("/admin"))
        {
            Assert.Equal("/admin/account/enrol", notYet.Headers.Location?.OriginalString);
        }

        var (secret, _) = await again.EnrolAsync();
        Assert.NotEqual(account.TotpSecret, secret);
        using (await AssertOkAsync(again, "/admin"))
        {
        }

        Assert.Equal(1, await host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminAuthenticatorReset && e.Detail == account.Email)));
    }

    [Fact]
    public async Task InitialPassword_SetByASystemAdmin_IsChangedBeforeAnythingElse()
    {
        await using var host = await StartAsync();
        var tenantId = await AdminClient.CreateTenantAsync(host, "gamma");
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        const string email = "initial@gamma.test";
        const string initial = "an initial password from the system admin";
        using (var created = await system.PostFormAsync($"/admin/system/tenant/{tenantId}", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = initial }, handler: "Create"))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        using var admin = AdminClient.Anonymous(host);
        using (await admin.PostPasswordAsync(email, initial))
        {
        }

        await admin.EnrolAsync();
        foreach (var path in new[] { "/admin", "/admin/branding", "/admin/audit", SecurityPage, "/admin/keys" })
        {
            using var sent = await admin.Http.GetAsync(path);
            Assert.True(sent.StatusCode == HttpStatusCode.Redirect && sent.Headers.Location?.OriginalString == PasswordPage, $"{path} answered {(int)sent.StatusCode} {sent.Headers.Location}");
        }

        var changePage = await admin.GetPageAsync(PasswordPage);
        Assert.NotNull(changePage.TestId("must-change-password"));
        using (var posted = await admin.PostFormWithTokenAsync(SecurityPage, new Dictionary<string, string>(), changePage.AntiforgeryToken!, handler: "EndOthers"))
        {
            Assert.Equal(PasswordPage, posted.Headers.Location?.OriginalString);
        }

        using (var changed = await ChangePasswordAsync(admin, initial, NewPassword))
        {
            Assert.Equal("/admin/account/security?status=password-changed", changed.Headers.Location?.OriginalString);
        }

        using (await AssertOkAsync(admin, "/admin"))
        {
        }

        Assert.False(await host.DbAsync(db => db.Users.Where(u => u.Email == email).Select(u => u.MustChangePassword).SingleAsync()));
    }

    [Fact]
    public async Task NewActions_RefuseStrangers()
    {
        await using var host = await StartAsync();
        var target = await AdminClient.CreateTenantAdminAsync(host);
        var otherTenant = await AdminClient.CreateTenantAsync(host, "other");
        using var otherTenantAdmin = await AdminClient.SignInTenantAdminAsync(host, "other");
        var message = await host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", "reader@example.nl"));
        using var recipient = await RecipientBrowserlessClient.SignInFromLinkAsync(host, message.Links["reader@example.nl"]);
        using var anonymous = AdminClient.Anonymous(host);

        var accountPage = $"/admin/system/admins/{target.Id}";
        var requests = new (string Path, string? Handler)[]
        {
            (SecurityPage, "EndSession"), (SecurityPage, "EndOthers"), (SecurityPage, "RecoveryCodes"), (PasswordPage, null),
            (accountPage, "Disable"), (accountPage, "Enable"), (accountPage, "Remove"), (accountPage, "ResetAuthenticator"),
        };
        foreach (BrowserlessSession stranger in new BrowserlessSession[] { anonymous, recipient })
        {
            var token = await stranger.AntiforgeryTokenAsync("/admin/account/signin");
            foreach (var (path, handler) in requests)
            {
                using var refused = await stranger.PostFormWithTokenAsync(path, new Dictionary<string, string> { ["id"] = Guid.NewGuid().ToString(), ["Input.CurrentPassword"] = target.Password, ["Input.NewPassword"] = NewPassword, ["Input.ConfirmPassword"] = NewPassword }, token, handler);
                Assert.True(refused.StatusCode == HttpStatusCode.Redirect && refused.Headers.Location!.OriginalString.Contains("/admin/account/signin", StringComparison.Ordinal),
                    $"{path}?handler={handler} answered {(int)refused.StatusCode} {refused.Headers.Location}");
            }

            using var get = await stranger.Http.GetAsync(accountPage);
            Assert.Equal(HttpStatusCode.Redirect, get.StatusCode);
        }

        // A tenant admin (of another tenant, or of the target's own) is no system admin.
        foreach (var handler in new[] { "Disable", "Remove", "ResetAuthenticator" })
        {
            using var refused = await otherTenantAdmin.PostFormAsync(accountPage, new Dictionary<string, string>(), handler: handler, tokenPage: SecurityPage);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var get = await otherTenantAdmin.Http.GetAsync(accountPage))
        {
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        }

        Assert.True(await host.DbAsync(db => db.Users.AnyAsync(u => u.Id == target.Id && u.DisabledAt == null && u.TwoFactorEnabled)));
        Assert.True(await host.DbAsync(db => db.Users.AnyAsync(u => u.TenantId == otherTenant)));
        Assert.False(await host.DbAsync(db => db.AuditEvents.AnyAsync(e => e.Kind >= AuditEventKind.AdminSessionEnded && e.Kind <= AuditEventKind.AdminAuthenticatorReset)));
    }

    private static AdminClient CopyOf(PortalHost host, AdminClient admin)
    {
        var copy = AdminClient.Anonymous(host);
        copy.Cookies[AdminAuthentication.CookieName] = admin.Cookies[AdminAuthentication.CookieName];
        return copy;
    }

    private static async Task AssertSignedOutAsync(BrowserlessSession session)
    {
        using var response = await session.Http.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/admin/account/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> AssertOkAsync(BrowserlessSession session, string path)
    {
        var response = await session.Http.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode} {response.Headers.Location}");
        return response;
    }

    private static async Task<string?> CurrentSessionIdAsync(AdminClient admin) =>
        (await admin.GetPageAsync(SecurityPage)).Find("[data-session][data-current='true']")?.GetAttribute("data-session");

    private static Task<HttpResponseMessage> ChangePasswordAsync(AdminClient admin, string current, string next) =>
        admin.PostFormAsync(PasswordPage, new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = current, ["Input.NewPassword"] = next, ["Input.ConfirmPassword"] = next,
        });

    private static async Task<HttpResponseMessage> RecoveryCodeSignInAsync(AdminClient client, AdminAccount account, string code)
    {
        using (var password = await client.PostPasswordAsync(account.Email, account.Password))
        {
            Assert.StartsWith("/admin/account/twofactor", password.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }

        return await client.PostFormAsync("/admin/account/twofactor", new Dictionary<string, string> { ["Input.RecoveryCode"] = code });
    }

    /// <summary>Another session of <paramref name="account"/>, signed in with a recovery code made for it (no wait for the next TOTP step).</summary>
    private static async Task<AdminClient> SignInWithRecoveryCodeAsync(PortalHost host, AdminAccount account)
    {
        var code = await host.InScopeAsync(async services =>
        {
            var users = services.GetRequiredService<UserManager<AdminUser>>();
            var user = await users.FindByIdAsync(account.Id.ToString());
            return (await users.GenerateNewTwoFactorRecoveryCodesAsync(user!, 1))!.Single();
        });
        var client = AdminClient.Anonymous(host);
        using var signedIn = await RecoveryCodeSignInAsync(client, account, code);
        Assert.Equal("/admin", signedIn.Headers.Location?.OriginalString);
        return client;
    }

    private static async Task<string> PasswordStepAlertAsync(PortalHost host, string email, string password)
    {
        using var client = AdminClient.Anonymous(host);
        using var response = await client.PostPasswordAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return string.Join(" ", (await HtmlPage.FromAsync(response)).Alerts);
    }
}

public sealed class AdminLifecycleSqliteTests : AdminLifecycleTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AdminLifecyclePostgresTests : AdminLifecycleTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
