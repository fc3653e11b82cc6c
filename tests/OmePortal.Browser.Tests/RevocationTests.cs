using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Revocation and keys in the browser: an admin revokes a message from its trace page and the
/// recipient then sees the withdrawn page; the keys, revocation and sender-revoke pages pass axe-core
/// in English and Dutch.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RevocationTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "revoke-reader@example.nl";
    private const string Other = "revoke-other@example.nl";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(settings: new Dictionary<string, string?>
    {
        ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000",
        ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task SignInAdminAsync(IPage page) => AdminFlow.SignInNewTenantAdminAsync(page, _host);

    private Task<IngestedMessage> IngestAsync(params string[] to) =>
        PortalApi.IngestAsync(_host, TestMessages.WithMarkers("revocation", "revocation-html", "revocation-text", "revocation-file", to));

    [Fact]
    public async Task Admin_RevokesAMessage_TheRecipientSeesTheRevokedPage()
    {
        var message = await IngestAsync(Reader);
        await using var readerContext = await browser.NewContextAsync();
        var reader = await readerContext.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(reader, _host, message.LinkFor(Reader), Reader);
        await Assertions.Expect(reader.Locator("h1.message-subject")).ToContainTextAsync("Quarterly figures revocation");

        await using var adminContext = await browser.NewContextAsync();
        var admin = await adminContext.NewPageAsync();
        await SignInAdminAsync(admin);
        await admin.GotoAsync($"{_host.BaseUrl}/admin/trace/{message.Id}");
        await admin.Locator($"a[href='/admin/messages/{message.Id}/revoke']").ClickAsync();
        await admin.WaitForURLAsync(new Regex("/revoke$"));
        await Assertions.Expect(admin.Locator("[data-effect='losing']")).ToContainTextAsync(Reader);
        await Assertions.Expect(admin.Locator("[data-effect='shred']")).ToHaveCountAsync(1);
        await admin.Locator("main form button[type=submit]").ClickAsync();
        await Assertions.Expect(admin.Locator("[data-revocation='done']")).ToHaveCountAsync(1);

        var response = await reader.ReloadAsync();
        Assert.Equal(410, response?.Status);
        await Assertions.Expect(reader.Locator("[data-unavailable='Revoked'] h1")).ToHaveTextAsync("This message has been withdrawn");
        await Assertions.Expect(reader.Locator("iframe")).ToHaveCountAsync(0);

        // The link from the notification says the same.
        var link = await reader.GotoAsync(message.LinkFor(Reader));
        Assert.Equal(410, link?.Status);
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task KeysAndRevocationPages_PassAxe(string language, string locale)
    {
        var message = await IngestAsync(Reader, Other);
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await SignInAdminAsync(page);
        var audit = new PageAudit(page, language, PageAudit.AdminViewports);

        await audit.VisitAsync("keys", _host.BaseUrl + "/admin/keys");
        await page.Locator("input[name='Input.Name']").FillAsync("Axe " + language);
        await page.Locator("form[action*='handler=Create'] button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-api-key]")).ToHaveCountAsync(1);
        await audit.CurrentAsync("keys with a new key shown once");
        await page.Locator("form[action*='handler=Create'] button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#name-error")).Not.ToBeEmptyAsync();
        await audit.CurrentAsync("keys with a name error");
        await page.Locator("a[href$='/revoke']").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/keys/api-keys/.+/revoke$"));
        await audit.CurrentAsync("revoke API key confirmation");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/keys$"));
        await audit.CurrentAsync("keys after revoking");
        await audit.VisitAsync("rotate confirmation", _host.BaseUrl + "/admin/keys/rotate");
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/keys$"));
        await audit.CurrentAsync("keys after rotating");

        await audit.VisitAsync("trace with revocation actions", $"{_host.BaseUrl}/admin/trace/{message.Id}");
        var one = await page.Locator($"a[href^='/admin/messages/{message.Id}/revoke?recipient=']").First.GetAttributeAsync("href");
        await audit.VisitAsync("revoke one confirmation", _host.BaseUrl + one);
        await page.Locator("main form button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-revocation='done']")).ToHaveCountAsync(1);
        await audit.CurrentAsync("revoked for one");
        await audit.VisitAsync("revoke all confirmation", $"{_host.BaseUrl}/admin/messages/{message.Id}/revoke");

        audit.AssertClean();
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task SenderRevokePages_PassAxe(string language, string locale)
    {
        // The reader is the sender of a second message: its revoke pages are theirs.
        var toReader = await IngestAsync(Reader);
        var mail = TestMessages.WithMarkers("sent by reader", "h", "t", "a", Other);
        mail.From.Clear();
        mail.From.Add(MimeKit.MailboxAddress.Parse(Reader));
        var sent = await PortalApi.IngestAsync(_host, mail);

        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, toReader.LinkFor(Reader), Reader);
        var audit = new PageAudit(page, language);

        await audit.VisitAsync("sender revoke confirmation", $"{_host.BaseUrl}/messages/{sent.Id}/revoke");
        await page.Locator("[data-revocation='confirm'] form button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-revocation='done']")).ToHaveCountAsync(1);
        await audit.CurrentAsync("sender revoke done");
        await audit.VisitAsync("sender revoke, already withdrawn", $"{_host.BaseUrl}/messages/{sent.Id}/revoke");
        await audit.VisitAsync("revoke page of a message not sent by the reader", $"{_host.BaseUrl}/messages/{toReader.Id}/revoke", status: 404);

        audit.AssertClean();
    }
}
