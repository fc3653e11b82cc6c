using System.Text.RegularExpressions;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The recipient's path, screen by screen, with a screenshot of each at phone and desktop size under
/// <c>TestResults/tour/{language}</c>, always (not only when screenshots are asked for): anyone can look at what
/// a recipient sees without running the portal. Every screen is audited on the way (axe, language, phone fit).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TourTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "tour-reader@example.nl";

    private PortalHost _host = null!;

    public static string Folder(string language) =>
        Path.Combine(TestEnvironment.TryFindRepositoryRoot() ?? Directory.GetCurrentDirectory(), "TestResults", "tour", language);

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task RecipientPath_IsSavedScreenByScreen(string language, string locale)
    {
        var folder = Folder(language);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "tour", Mails.PdfLike(48 * 1024), "annual-statement.pdf", "Your annual statement"));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Reader, message.Id);
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var tour = new PageAudit(page, language) { Screenshots = folder };
        var step = 0;
        string Screen(string name) => $"{++step:00}-{name}";

        await tour.VisitAsync(Screen("landing"), _host.BaseUrl + "/");
        await tour.VisitAsync(Screen("link"), link);
        await page.Locator("form[action*='handler=Passcode'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        await tour.CurrentAsync(Screen("passcode"));
        await RecipientFlow.EnterPasscodeAsync(page, _host, Reader);
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}$"));
        // The passcode mail speaks the language of the page that asked for it.
        var passcodeMail = (await Outbox.AllAsync(_host)).Last(m => m.Headers["X-OmePortal-Mail-Kind"] == "passcode" && m.To.Mailboxes.Any(t => t.Address == Reader));
        Assert.Equal(language, passcodeMail.Body!.Headers[MimeKit.HeaderId.ContentLanguage]);
        await tour.CurrentAsync(Screen("message"));

        await page.Locator("a[href$='/reply?mode=reply']").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}/reply\\?mode=reply$"));
        await tour.CurrentAsync(Screen("reply"));
        await page.Locator("textarea[name=Body]").FillAsync("Thank you, I received the statement.");
        await page.Locator("main form button[type=submit]").Last.ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}\\?sent="));
        await tour.CurrentAsync(Screen("reply-sent"));

        await tour.VisitAsync(Screen("inbox"), _host.BaseUrl + "/inbox");
        await tour.VisitAsync(Screen("sent"), _host.BaseUrl + "/inbox?view=sent");
        await tour.VisitAsync(Screen("security"), _host.BaseUrl + "/security");
        await page.Locator("form.signout-form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signout"));
        await tour.CurrentAsync(Screen("signed-out"));
        await tour.VisitAsync(Screen("unknown-link"), _host.BaseUrl + "/m/" + new string('Q', 43), status: 404);
        await tour.VisitAsync(Screen("page-not-found"), _host.BaseUrl + "/no-such-page", status: 404);

        tour.AssertClean();
        var saved = Directory.GetFiles(folder, "*.png").Select(Path.GetFileName).ToHashSet();
        foreach (var screen in tour.Checked)
        {
            Assert.Contains(saved, name => name!.StartsWith($"{language}-{screen}-390x844", StringComparison.Ordinal));
            Assert.Contains(saved, name => name!.StartsWith($"{language}-{screen}-1280x800", StringComparison.Ordinal));
        }
    }
}
