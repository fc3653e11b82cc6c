using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Replies you can see (issue 20, item 4), in Chromium, in English and Dutch, at phone and desktop size: the
/// reader sends a reply and is told whom it went to; a refresh sends nothing again; the reply is in the
/// conversation (withdrawing it tucked into a menu) and in the inbox's Sent view; the original sender opens the
/// reply and, from its conversation, their original. Every screen passes axe and fits a phone.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RepliesYouCanSeeTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "sanne.jansen@example.nl";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(settings: new Dictionary<string, string?>
    {
        ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000",
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("en", "en-GB", "Your reply was sent to", "Withdraw")]
    [InlineData("nl", "nl-NL", "Uw antwoord is verstuurd naar", "intrekken")]
    public async Task Reply_IsConfirmed_ListedInTheConversationAndSent_AndTheSenderReachesTheOriginal(string language, string locale, string confirmation, string withdraw)
    {
        var ingested = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, TestMessages.NewMarker("body-"), Mails.PdfLike(2048), subject: "Your policy documents " + language));

        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, ingested.LinkFor(Reader), Reader);
        var audit = new PageAudit(page, language);

        // 1. Reply from the compose page; the portal comes back to the original and says whom the reply went to.
        await page.Locator("a[href$='/reply?mode=reply']").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{ingested.Id}/reply\\?mode=reply$"));
        await page.Locator("textarea[name=Body]").FillAsync("Thank you, I have signed the documents.");
        await page.Locator("form#compose-form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{ingested.Id}\\?sent=[0-9a-f-]{{36}}$"));
        var replyId = Assert.Single(await PortalData.RepliesToAsync(_host, ingested.Id));
        var status = page.Locator($"[role='status'][data-sent-confirmation='{replyId}']");
        await Assertions.Expect(status).ToContainTextAsync(confirmation);
        await Assertions.Expect(status).ToContainTextAsync(Mails.Sender);
        await audit.CurrentAsync("message page after sending a reply");

        // 2. A refresh shows the confirmation again and stores nothing: the page after sending is a GET.
        var messages = await PortalData.MessageCountAsync(_host);
        var reloaded = await page.ReloadAsync();
        Assert.Equal(200, reloaded?.Status);
        Assert.Equal("GET", reloaded!.Request.Method);
        await Assertions.Expect(status).ToContainTextAsync(confirmation);
        Assert.Equal(messages, await PortalData.MessageCountAsync(_host));
        Assert.Single(await PortalData.RepliesToAsync(_host, ingested.Id));

        // 3. The reply is in the conversation under the message; withdrawing it waits in the item's menu.
        var mine = page.Locator($"li[data-thread-item='{replyId}'][data-sent-by-you='true']");
        await Assertions.Expect(mine.Locator($"a[href='/sent/{replyId}']")).ToHaveCountAsync(1);
        var revoke = mine.Locator($"details.item-menu a[href='/messages/{replyId}/revoke']");
        await Assertions.Expect(revoke).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("article.message a[href$='/revoke']")).ToHaveCountAsync(0);
        await ActivateAsync(mine.Locator("details.item-menu summary"));
        await Assertions.Expect(revoke).ToBeVisibleAsync();
        await Assertions.Expect(revoke).ToContainTextAsync(withdraw);
        await audit.CurrentAsync("conversation with the reply's menu open");

        // 4. The Sent view lists it; its sent item page leads back to the message it answers.
        await audit.VisitAsync("inbox, received", _host.BaseUrl + "/inbox");
        await page.Locator("nav.inbox-views a[href='/inbox?view=sent']").ClickAsync();
        await page.WaitForURLAsync(new Regex("/inbox\\?view=sent$"));
        var listed = page.Locator($"[data-sent-item='{replyId}']");
        await Assertions.Expect(listed).ToContainTextAsync("Your policy documents " + language);
        await Assertions.Expect(listed).ToContainTextAsync(Mails.Sender);
        await audit.CurrentAsync("inbox, sent");
        await ActivateAsync(listed.Locator("a"));
        await page.WaitForURLAsync(new Regex($"/sent/{replyId}$"));
        await audit.CurrentAsync("sent item page of the reply");
        await ActivateAsync(page.Locator($"[data-answered='{ingested.Id}']"));
        await page.WaitForURLAsync(new Regex($"/messages/{ingested.Id}$"));

        // 5. The original sender, notified of the reply, reads it and reaches their original from its conversation.
        var senderLink = await Outbox.WaitForNotificationLinkAsync(_host, Mails.Sender, replyId);
        await using var senderContext = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var senderPage = await senderContext.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(senderPage, _host, senderLink, Mails.Sender);
        Assert.EndsWith($"/messages/{replyId}", senderPage.Url, StringComparison.Ordinal);
        var senderAudit = new PageAudit(senderPage, language);
        var original = senderPage.Locator($"li[data-thread-item='{ingested.Id}'][data-sent-by-you='true'] a[href='/sent/{ingested.Id}']");
        await Assertions.Expect(original).ToContainTextAsync("Your policy documents " + language);
        await senderAudit.CurrentAsync("the original sender reading the reply");
        await ActivateAsync(original);
        await senderPage.WaitForURLAsync(new Regex($"/sent/{ingested.Id}$"));
        await Assertions.Expect(senderPage.Locator("h1")).ToHaveTextAsync("Your policy documents " + language);
        await Assertions.Expect(senderPage.Locator("dl.message-headers")).ToContainTextAsync(Reader);
        await senderAudit.CurrentAsync("the original sender's original");

        audit.AssertClean();
        senderAudit.AssertClean();
    }

    /// <summary>
    /// Follows a link or opens a menu from the keyboard, as a keyboard user does: on the message page the body frame
    /// grows to its content once it has loaded, which can move the conversation under a pointer's click.
    /// </summary>
    private static async Task ActivateAsync(ILocator target)
    {
        await target.FocusAsync();
        await target.PressAsync("Enter");
    }
}
