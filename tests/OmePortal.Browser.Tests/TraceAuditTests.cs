using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The message trace and the audit log in the browser: a tenant admin signs in with password + TOTP,
/// finds a message that a recipient read, opens its trace and the audit log; every page (with and
/// without filter errors) passes axe-core in English and Dutch at a laptop, a tablet and a phone size, where
/// the tables become one card per row.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TraceAuditTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "trace-reader@example.nl";

    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task SignInAsync(IPage page) => AdminFlow.SignInNewTenantAdminAsync(page, _host);

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task TraceAndAuditPages_PassAxe(string language, string locale)
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Traced", Mails.PdfLike(64)));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Reader, message.Id);
        await using (var reader = await browser.NewContextAsync(locale: locale))
        {
            var readerPage = await reader.NewPageAsync();
            await RecipientFlow.SignInFromLinkAsync(readerPage, _host, link, Reader);
        }

        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await SignInAsync(page);
        // The trace is read on a phone too (an admin called about a message): its tables must fit one.
        var audit = new PageAudit(page, language, [.. PageAudit.AdminViewports, PageAudit.Phone]);

        await audit.VisitAsync("trace search", _host.BaseUrl + "/admin/trace");
        await page.Locator("#recipient").FillAsync("trace-reader");
        await page.Locator("form.filters button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("recipient=trace-reader"));
        await Assertions.Expect(page.Locator($"tr[data-message='{message.Id}']")).ToHaveCountAsync(1);
        await audit.CurrentAsync("trace results");
        await page.Locator($"tr[data-message='{message.Id}'] a").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/admin/trace/{message.Id}$"));
        await Assertions.Expect(page.Locator($"tr[data-recipient='{Reader}'] td[data-status='signin']")).ToHaveAttributeAsync("data-value", "passcode");
        await audit.CurrentAsync("message trace");
        await page.SetViewportSizeAsync(PageAudit.Phone.Width, PageAudit.Phone.Height);
        var row = page.Locator($"tr[data-recipient='{Reader}']");
        Assert.Equal("block", await row.EvaluateAsync<string>("r => getComputedStyle(r).display"));
        Assert.Equal(language == "nl" ? "Aangemeld" : "Signed in", await row.Locator("td[data-status='signin']").EvaluateAsync<string>("c => getComputedStyle(c, '::before').content.replaceAll('\"', '')"));
        await page.SetViewportSizeAsync(PageAudit.Desktop.Width, PageAudit.Desktop.Height);
        await audit.VisitAsync("trace with a bad date", _host.BaseUrl + "/admin/trace?from=31-12-2026", status: 400);
        await audit.VisitAsync("audit log", _host.BaseUrl + "/admin/audit");
        await audit.VisitAsync("audit log of the message", _host.BaseUrl + $"/admin/audit?message={message.Id}&kind=SignedIn");
        await Assertions.Expect(page.Locator("tr[data-kind='SignedIn']")).ToHaveCountAsync(1);
        await audit.VisitAsync("audit log with a bad id", _host.BaseUrl + "/admin/audit?message=nope", status: 400);

        audit.AssertClean();
    }
}
