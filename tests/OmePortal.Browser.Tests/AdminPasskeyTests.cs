using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Admin passkeys (issue 5, "passkeys allowed once passkey support exists") with Chromium's virtual
/// authenticator under the real CSP: created right after a password + TOTP sign-in, the next sign-in
/// needs neither; the admin's passkey is no recipient passkey; a locked account or a removed passkey
/// signs nobody in; the pages pass axe-core in English and Dutch.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminPasskeyTests(BrowserFixture browser) : IAsyncLifetime
{
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(settings: new Dictionary<string, string?>
    {
        ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task AdminPasskey_AfterTotpSignIn_SignsInWithoutPasswordOrCode_AndNeverAsARecipient()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var authenticator = await VirtualAuthenticator.AttachAsync(context, page);
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        await AdminFlow.SignInWithTotpAsync(page, _host, account);
        await CreatePasskeyAsync(page, "Work laptop");

        Assert.Equal("Work laptop", await page.Locator("li.passkey .passkey-name").InnerTextAsync());
        Assert.Single(await authenticator.CredentialsAsync());
        var stored = await DbAsync(db => db.AdminPasskeys.AsNoTracking().SingleAsync());
        Assert.Equal(account.Id, stored.AdminUserId);
        Assert.Equal(0, await DbAsync(db => db.PasskeyCredentials.CountAsync()));
        await SignOutAsync(page);

        // The passkey alone: no password typed, no code, and the admin is in with both factors.
        await page.GotoAsync(_host.BaseUrl + "/admin/account/signin");
        await page.Locator("#passkey-signin-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin$"));
        Assert.Contains(account.Email, await page.Locator(".admin-who").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(200, (await page.GotoAsync(_host.BaseUrl + "/admin/branding"))?.Status);
        Assert.NotNull((await DbAsync(db => db.AdminPasskeys.AsNoTracking().SingleAsync())).LastUsedAt);
        Assert.Equal(1, await DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.AdminSignedIn && e.Actor == account.Email && e.Detail == "passkey")));
        await SignOutAsync(page);

        // The recipients' passkey sign-in offers the same authenticator, and finds no such passkey.
        await page.GotoAsync(_host.BaseUrl + "/signin");
        await page.Locator("#passkey-signin-button").ClickAsync();
        await Assertions.Expect(page.Locator("#passkey-signin-status.is-error")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("header .session").CountAsync());
        Assert.NotEqual(200, await StatusWithoutRedirectAsync(page, "/inbox"));
    }

    [Fact]
    public async Task AdminPasskey_OfALockedAccount_OrRemoved_SignsNobodyIn()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await VirtualAuthenticator.AttachAsync(context, page);
        var account = await AdminClient.CreateTenantAdminAsync(_host);
        await AdminFlow.SignInWithTotpAsync(page, _host, account);
        await CreatePasskeyAsync(page, "Security key");
        await SignOutAsync(page);

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AdminUser>>();
            await users.SetLockoutEndDateAsync((await users.FindByIdAsync(account.Id.ToString()))!, DateTimeOffset.UtcNow.AddHours(1));
        }

        await page.GotoAsync(_host.BaseUrl + "/admin/account/signin");
        await page.Locator("#passkey-signin-button").ClickAsync();
        await Assertions.Expect(page.Locator("#passkey-signin-status.is-error")).ToBeVisibleAsync();
        Assert.Equal(302, await StatusWithoutRedirectAsync(page, "/admin"));

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AdminUser>>();
            await users.SetLockoutEndDateAsync((await users.FindByIdAsync(account.Id.ToString()))!, null);
        }

        await page.GotoAsync(_host.BaseUrl + "/admin/account/signin");
        await page.Locator("#passkey-signin-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin$"));

        // Removing asks first and says what it does.
        await page.GotoAsync(_host.BaseUrl + "/admin/account/security");
        await page.Locator("a.passkey-remove").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/security\\?remove=[0-9a-f-]{36}$"));
        Assert.Contains("Security key", await page.Locator("[data-testid=remove-confirmation]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await DbAsync(db => db.AdminPasskeys.CountAsync()));
        await page.Locator("[data-testid=remove-confirmation] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("status=removed$"));
        Assert.Equal(0, await DbAsync(db => db.AdminPasskeys.CountAsync()));
        await SignOutAsync(page);

        await page.GotoAsync(_host.BaseUrl + "/admin/account/signin");
        await page.Locator("#passkey-signin-button").ClickAsync();
        await Assertions.Expect(page.Locator("#passkey-signin-status.is-error")).ToBeVisibleAsync();
        Assert.Equal(302, await StatusWithoutRedirectAsync(page, "/admin"));
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task AdminPasskeyPages_PassAxe(string language, string locale)
    {
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await VirtualAuthenticator.AttachAsync(context, page);
        var audit = new PageAudit(page, language);

        await audit.VisitAsync("admin sign-in page with the passkey button", _host.BaseUrl + "/admin/account/signin");
        Assert.True(await page.Locator("#passkey-signin-button").IsVisibleAsync());
        await AdminFlow.SignInWithTotpAsync(page, _host, await AdminClient.CreateTenantAdminAsync(_host));
        await audit.VisitAsync("security page without passkeys", _host.BaseUrl + "/admin/account/security");
        await page.Locator("#passkey-name").FillAsync("A laptop with a rather long name that must still fit a small screen");
        await page.Locator("#passkey-create-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("status=created$"));
        await audit.CurrentAsync("security page with a passkey");
        var rename = page.Locator("li.passkey form input[name=name]");
        await rename.FillAsync(string.Empty);
        await rename.EvaluateAsync("e => e.removeAttribute('required')");
        await page.Locator("li.passkey form button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("security page with a rename error");
        await page.Locator("li.passkey form input[name=name]").FillAsync("Laptop");
        await page.Locator("li.passkey form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("status=renamed$"));
        Assert.Equal("Laptop", await page.Locator(".passkey-name").InnerTextAsync());
        await page.Locator("a.passkey-remove").ClickAsync();
        await page.WaitForURLAsync(new Regex("remove="));
        await audit.CurrentAsync("remove passkey confirmation");
        await audit.VisitAsync("unknown passkey to remove", $"{_host.BaseUrl}/admin/account/security?remove={Guid.NewGuid()}", 404);

        audit.AssertClean();
    }

    private static async Task CreatePasskeyAsync(IPage page, string name)
    {
        await page.Locator("header a[href='/admin/account/security']").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/security$"));
        await page.Locator("#passkey-name").FillAsync(name);
        await page.Locator("#passkey-create-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/security\\?status=created$"));
    }

    private static async Task SignOutAsync(IPage page)
    {
        await page.Locator("header form[action='/admin/account/signout'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/signedout$"));
    }

    private static Task<int> StatusWithoutRedirectAsync(IPage page, string path) =>
        page.EvaluateAsync<int>("async p => { const r = await fetch(p, { redirect: 'manual' }); return r.type === 'opaqueredirect' ? 302 : r.status; }", path);

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => _host.DbAsync(query);
}
