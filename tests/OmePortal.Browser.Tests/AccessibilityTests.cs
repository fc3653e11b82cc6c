using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Every portal page a recipient can see passes axe-core (WCAG 2.0/2.1 A and AA) in English and in
/// Dutch, says which language it is in, and fits a 390×844 phone screen without sideways scrolling.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "reader@example.nl";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task EveryPortalPage_PassesAxeAndFitsAPhone(string language, string locale)
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Readable body", Mails.PdfLike(4096)));
        var expired = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Expired body", Mails.PdfLike(512), subject: "Expired"));
        await PortalData.ExpireAsync(_host, expired.Id);
        var revoked = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Revoked body", Mails.PdfLike(512), subject: "Revoked"));
        await PortalData.RevokeAsync(_host, revoked.Id, Reader);
        var someoneElses = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment("other@example.nl", "Not yours", Mails.PdfLike(512)));

        // Accept-Language comes from the context's locale (the language switch is tested on its own).
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);

        // Pages without a session.
        await audit.VisitAsync("unknown link page", _host.BaseUrl + "/m/" + new string('Q', 43), 404);
        await audit.VisitAsync("malformed link page", _host.BaseUrl + "/m/not-a-token", 404);
        await audit.VisitAsync("expired link page", expired.LinkFor(Reader), 410);
        await audit.VisitAsync("revoked link page", revoked.LinkFor(Reader), 410);
        await audit.VisitAsync("sign-in page", _host.BaseUrl + "/signin");
        await page.Locator("input[name='Input.Address']").FillAsync("not an address");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("sign-in page with a validation error");
        await audit.VisitAsync("signed-out page", _host.BaseUrl + "/signout");

        // The link page, the code page (also with a wrong code), then the message.
        await audit.VisitAsync("link page", message.LinkFor(Reader));
        await page.Locator("form[action*='handler=Passcode'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        await audit.CurrentAsync("passcode page");
        await page.Locator("input[name='Input.Code']").FillAsync("00000000");
        await page.Locator("main form.passcode-form button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("passcode page with a wrong code");
        await page.Locator("input[name='Input.Code']").FillAsync(string.Empty);
        await RecipientFlow.EnterPasscodeAsync(page, _host, Reader);
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}$"));
        await Pages.BodyFrameAsync(page);
        await audit.CurrentAsync("message page");

        // The body frame's document on its own: axe cannot run inside the script-less sandbox from the parent.
        await audit.VisitAsync("body frame document", $"{_host.BaseUrl}/messages/{message.Id}/body");
        await audit.VisitAsync("inbox", _host.BaseUrl + "/inbox");
        await audit.VisitAsync("expired message page", $"{_host.BaseUrl}/messages/{expired.Id}", 410);
        await audit.VisitAsync("revoked message page", $"{_host.BaseUrl}/messages/{revoked.Id}", 410);
        await audit.VisitAsync("someone else's message page", $"{_host.BaseUrl}/messages/{someoneElses.Id}", 404);
        foreach (var mode in new[] { "reply", "replyall", "forward" })
        {
            await audit.VisitAsync($"compose page ({mode})", $"{_host.BaseUrl}/messages/{message.Id}/reply?mode={mode}");
        }

        await audit.VisitAsync("sign-out page (signed in)", _host.BaseUrl + "/signout");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("after signing out");

        audit.AssertClean();
    }

    [Fact]
    public async Task LanguageSwitch_Dutch_IsRememberedOnTheNextPage()
    {
        await using var context = await browser.NewContextAsync(locale: "en-GB");
        var page = await context.NewPageAsync();
        await page.GotoAsync(_host.BaseUrl + "/signin");
        Assert.Equal("en", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        var english = await page.Locator("h1").InnerTextAsync();

        await page.Locator("nav.languages a[hreflang=nl]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin$"));
        Assert.Equal("nl", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        Assert.NotEqual(english, await page.Locator("h1").InnerTextAsync());

        // The choice outlives the page (a cookie), whatever Accept-Language says.
        await page.GotoAsync(_host.BaseUrl + "/m/" + new string('Q', 43));
        Assert.Equal("nl", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        Assert.Equal("true", await page.Locator("nav.languages a[hreflang=nl]").GetAttributeAsync("aria-current"));
    }
}
