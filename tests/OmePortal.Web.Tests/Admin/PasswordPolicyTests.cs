using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// Issue 19 item 6 (passwords): the length minimum and the shipped list of common passwords apply on every
/// path that sets an admin password: the first-run setup link, an invitation, an account made by a system
/// admin (and the password change, in <see cref="AdminLifecycleTests"/>).
/// </summary>
public abstract class PasswordPolicyTests
{
    private static readonly Dictionary<string, string?> Fast = new() { ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "10000" };

    protected abstract StorageKind Storage { get; }

    [Fact]
    public void CommonList_IsShipped_AndMatchesRegardlessOfCase()
    {
        Assert.True(CommonPasswordValidator.Count > 1000, $"only {CommonPasswordValidator.Count} common passwords");
        Assert.True(CommonPasswordValidator.IsCommon("Password1234"));
        Assert.True(CommonPasswordValidator.IsCommon("QWERTYUIOP123"));
        Assert.True(CommonPasswordValidator.IsCommon("welkom123456"));
        Assert.False(CommonPasswordValidator.IsCommon(AdminClient.DefaultPassword));
    }

    [Fact]
    public async Task SetupLink_RefusesCommonAndShortPasswords_WithoutSpendingTheLink()
    {
        await using var host = await new PortalHost(Storage, Fast).StartAsync();
        var token = await host.InScopeAsync(s => s.GetRequiredService<AdminAccounts>().CreateInvitationAsync(null, null, CancellationToken.None));
        await AssertSetupRefusesAsync(host, token, "first@example.test");

        using var client = AdminClient.Anonymous(host);
        using var accepted = await PostSetupAsync(client, token, "first@example.test", "the first admin's own passphrase");
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
    }

    [Fact]
    public async Task Invitation_RefusesCommonAndShortPasswords()
    {
        await using var host = await new PortalHost(Storage, Fast).StartAsync();
        var tenantId = await host.DbAsync(db => db.Tenants.Select(t => t.Id).SingleAsync());
        var token = await host.InScopeAsync(s => s.GetRequiredService<AdminAccounts>().CreateInvitationAsync(tenantId, "invited@example.test", CancellationToken.None));
        await AssertSetupRefusesAsync(host, token, "invited@example.test");
    }

    [Fact]
    public async Task SystemAdminCreatingAnAdmin_RefusesCommonAndShortPasswords()
    {
        await using var host = await new PortalHost(Storage, Fast).StartAsync();
        var tenantId = await AdminClient.CreateTenantAsync(host, "delta");
        using var system = await AdminClient.SignInSystemAdminAsync(host);
        foreach (var handler in new[] { "Review", "Create" })
        {
            foreach (var (password, expected) in new[] { ("Welcome12345", "common passwords"), ("too short", "at least 12") })
            {
                using var refused = await system.PostFormAsync($"/admin/system/tenant/{tenantId}",
                    new Dictionary<string, string> { ["Input.Email"] = "new@delta.test", ["Input.Password"] = password }, handler: handler);
                Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
                Assert.Contains(expected, (await HtmlPage.FromAsync(refused)).FieldError("password-error"), StringComparison.Ordinal);
            }
        }

        Assert.False(await host.DbAsync(db => db.Users.AnyAsync(u => u.Email == "new@delta.test")));
    }

    private static async Task AssertSetupRefusesAsync(PortalHost host, string token, string email)
    {
        using var client = AdminClient.Anonymous(host);
        foreach (var (password, expected) in new[] { ("password1234", "common passwords"), ("letmein123456", "common passwords"), ("short one", "at least 12") })
        {
            using var refused = await PostSetupAsync(client, token, email, password);
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains(expected, (await HtmlPage.FromAsync(refused)).FieldError("password-error"), StringComparison.Ordinal);
        }

        Assert.False(await host.DbAsync(db => db.Users.AnyAsync(u => u.Email == email)));
        Assert.False(await host.DbAsync(db => db.AdminInvitations.AnyAsync(i => i.UsedAt != null)));
    }

    private static Task<HttpResponseMessage> PostSetupAsync(AdminClient client, string token, string email, string password) =>
        client.PostFormAsync("/admin/account/setup?token=" + token, new Dictionary<string, string>
        {
            ["Input.Email"] = email, ["Input.Password"] = password, ["Input.ConfirmPassword"] = password,
        });
}

public sealed class PasswordPolicySqliteTests : PasswordPolicyTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class PasswordPolicyPostgresTests : PasswordPolicyTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
