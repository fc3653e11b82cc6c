using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The recipient's /security page in the states issue 19 added (a list of sessions, "end all other
/// sessions", "sign in again to add a passkey"), in Chromium with axe-core, in both languages and on a
/// phone. A manual clock ages the session past the 15 minutes that adding a passkey allows.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RecipientSecurityPageTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "security.reader@example.nl";
    private readonly ManualTimeProvider _clock = new();
    private PortalHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await new PortalHost { ServiceOverrides = s => s.AddSingleton<TimeProvider>(_clock) }.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task SecurityPage_WithSessions_AndAskingToSignInAgain_PassesAxeAndFitsAPhone(string language, string locale)
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "security", Mails.PdfLike(256)));
        var link = message.LinkFor(Reader);

        // Signed in elsewhere first (another browser), then here a little later.
        await using (var elsewhere = await browser.NewContextAsync())
        {
            await RecipientFlow.SignInFromLinkAsync(await elsewhere.NewPageAsync(), _host, link, Reader);
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);
        await RecipientFlow.SignInFromLinkAsync(page, _host, link, Reader);

        await audit.VisitAsync("security page with two sessions", _host.BaseUrl + "/security");
        Assert.Equal(2, await page.Locator("li.session-item").CountAsync());
        Assert.Equal(1, await page.Locator("li.session-item[data-current='true']").CountAsync());
        Assert.True(await page.Locator("#passkey-create").IsVisibleAsync());

        _clock.Advance(TimeSpan.FromMinutes(16));
        await audit.VisitAsync("security page asking to sign in again", _host.BaseUrl + "/security");
        Assert.True(await page.Locator("#passkey-reconfirm").IsVisibleAsync());
        Assert.Equal(0, await page.Locator("#passkey-create").CountAsync());

        await page.Locator("form[action$='handler=EndOthers'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security\\?status=others-ended$"));
        Assert.Equal(1, await page.Locator("li.session-item").CountAsync());
        await audit.CurrentAsync("security page after ending the other sessions");

        // "Sign in again" leads through a passcode back here, where a passkey may be added again.
        await page.Locator("#passkey-reconfirm a").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin\\?returnUrl="));
        await page.Locator("input[name='Input.Address']").FillAsync(Reader);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        await RecipientFlow.EnterPasscodeAsync(page, _host, Reader);
        await page.WaitForURLAsync(new Regex("/security$"));
        Assert.True(await page.Locator("#passkey-create").IsVisibleAsync());

        audit.AssertClean();
    }
}
