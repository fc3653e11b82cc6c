using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The landing page, the not-found page and the rate-limit page, as a visitor's browser shows them: axe clean,
/// in the reader's language, fitting a phone; the rate-limit page says how long to wait.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class HomePagesBrowserTests(BrowserFixture browser) : IAsyncLifetime
{
    private const int SignInPermits = 2;
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?>
    {
        ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = SignInPermits.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("en", "en-GB", "Sign in to see your messages", "Wait ")]
    [InlineData("nl", "nl-NL", "Aanmelden om uw berichten te zien", "Wacht ")]
    public async Task LandingNotFoundAndRateLimitPages_PassAxeAndFitAPhone(string language, string locale, string signIn, string wait)
    {
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);

        await audit.VisitAsync("landing page", _host.BaseUrl + "/");
        Assert.Equal(signIn, await page.Locator("main a[href='/signin']").InnerTextAsync());
        await page.Locator("main a[href='/signin']").ClickAsync();
        await page.WaitForURLAsync(_host.BaseUrl + "/signin");

        await audit.VisitAsync("not-found page", _host.BaseUrl + "/no/such/page", 404);

        // The landing page's link used one sign-in permit; the next visit uses the last one.
        for (var i = 1; i < SignInPermits; i++)
        {
            await page.GotoAsync(_host.BaseUrl + "/signin");
        }

        await audit.VisitAsync("rate-limit page", _host.BaseUrl + "/signin", 429);
        Assert.Contains(wait, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

        audit.AssertClean();
    }
}
