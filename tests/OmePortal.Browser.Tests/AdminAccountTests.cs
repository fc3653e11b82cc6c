using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The admin account pages in Chromium: the bootstrapped system admin enrols an authenticator (code
/// computed from the key the page shows), signs out, signs in with password + TOTP, and every page on the
/// way passes axe-core (WCAG 2.1 A/AA) in English and Dutch.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminAccountTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Email = "root@example.test";
    private const string Password = "a long bootstrap password";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(settings: new Dictionary<string, string?>
    {
        ["OmePortal:Bootstrap:AdminEmail"] = Email,
        ["OmePortal:Bootstrap:AdminPassword"] = Password,
        ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task EnrolSignInAndAdminPages_WorkAndPassAxe(string language, string locale)
    {
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);

        await audit.VisitAsync("admin sign-in page", _host.BaseUrl + "/admin/account/signin");
        await page.Locator("input[name='Input.Email']").FillAsync(Email);
        await page.Locator("input[name='Input.Password']").FillAsync("wrong password");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("admin sign-in page with an error");
        await audit.VisitAsync("setup page with an unusable link", _host.BaseUrl + "/admin/account/setup?token=nothing");

        // First sign-in: password only, so the enrolment page is the one place to go.
        await page.GotoAsync(_host.BaseUrl + "/admin/account/signin");
        await page.Locator("input[name='Input.Email']").FillAsync(Email);
        await page.Locator("input[name='Input.Password']").FillAsync(Password);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/enrol$"));
        await audit.CurrentAsync("enrolment page");
        Assert.True(await page.Locator("img.qr").EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"));
        await page.GotoAsync(_host.BaseUrl + "/admin");
        await page.WaitForURLAsync(new Regex("/admin/account/enrol$"));

        var secret = (await page.Locator("[data-testid=authenticator-key]").InnerTextAsync()).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        await page.Locator("input[name='Input.Code']").FillAsync("000000" == AdminClient.TotpCode(secret) ? "111111" : "000000");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("enrolment page with a wrong code");
        await page.Locator("input[name='Input.Code']").FillAsync(await AdminClient.NextTotpCodeAsync(secret));
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.Locator("[data-testid=recovery-codes]").WaitForAsync();
        Assert.Equal(10, await page.Locator("[data-testid=recovery-codes] li").CountAsync());
        await audit.CurrentAsync("recovery codes");

        await page.Locator("main a.button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin$"));
        await audit.CurrentAsync("admin dashboard");
        await audit.VisitAsync("system: organisations", _host.BaseUrl + "/admin/system");
        await page.Locator("input[name='Input.Name']").FillAsync("Acme");
        await page.Locator("input[name='Input.Slug']").FillAsync("Not A Slug");
        await page.Locator("form[action*='handler=Review'] button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("system: new organisation with an error");
        await page.Locator("input[name='Input.Slug']").FillAsync("acme");
        await page.Locator("form[action*='handler=Review'] button[type=submit]").ClickAsync();
        await page.Locator(".confirm").WaitForAsync();
        await audit.CurrentAsync("system: new organisation, review");
        await page.Locator("form[action*='handler=Create'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/system\\?created=acme$"));
        await audit.CurrentAsync("system: organisation created");

        await page.Locator("a[href^='/admin/system/tenant/']").Last.ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/system/tenant/"));
        await audit.CurrentAsync("system: admins of an organisation");
        await page.Locator("input[name='Input.Email']").FillAsync("new-admin@acme.test");
        await page.Locator("form[action*='handler=Review'] button[type=submit]").ClickAsync();
        await page.Locator(".confirm").WaitForAsync();
        await audit.CurrentAsync("system: new admin, review");
        await page.Locator("form[action*='handler=Create'] button[type=submit]").ClickAsync();
        await page.Locator("[data-testid=invitation-link]").WaitForAsync();
        await audit.CurrentAsync("system: invitation link");
        var invitation = await page.Locator("[data-testid=invitation-link]").InnerTextAsync();

        await page.Locator("header form[action='/admin/account/signout'] button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/signedout$"));
        await audit.CurrentAsync("admin signed-out page");
        await page.GotoAsync(_host.BaseUrl + "/admin");
        await page.WaitForURLAsync(new Regex("/admin/account/signin"));

        // The invitation, in another browser context (the invitee).
        await using (var inviteeContext = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true))
        {
            var invitee = await inviteeContext.NewPageAsync();
            var inviteeAudit = new PageAudit(invitee, language);
            await inviteeAudit.VisitAsync("invitation page", invitation.Trim());
            inviteeAudit.AssertClean();
        }

        // Second sign-in: password, then the code the authenticator would show.
        await page.Locator("input[name='Input.Email']").FillAsync(Email);
        await page.Locator("input[name='Input.Password']").FillAsync(Password);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/account/twofactor"));
        await audit.CurrentAsync("authenticator code page");
        await page.Locator("input[name='Input.Code']").FillAsync("000000" == AdminClient.TotpCode(secret) ? "111111" : "000000");
        await page.Locator("main form button[type=submit]").First.ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("authenticator code page with a wrong code");
        await page.Locator("input[name='Input.Code']").FillAsync(await AdminClient.NextTotpCodeAsync(secret));
        await page.Locator("main form button[type=submit]").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin$"));
        Assert.Equal(language == "nl" ? "Overzicht" : "Overview", (await page.Locator("main h1").InnerTextAsync()).Trim());

        audit.AssertClean();
    }
}
