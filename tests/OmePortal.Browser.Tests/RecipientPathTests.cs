using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The whole path a recipient takes (issue 3, item 9), in a real browser under the portal's real CSP:
/// notification mail → link → passcode → body → inline image → attachment → reply with an attachment
/// (progress bar seen) → the sender's notification → the sender reads the reply.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RecipientPathTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Recipient = "jan.devries@example.nl";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Recipient_ReadsDownloadsAndReplies_SenderReadsTheReply()
    {
        var marker = TestMessages.NewMarker("body-");
        var attachment = Mails.PdfLike(48 * 1024);
        var ingested = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Recipient, marker, attachment, "polisblad 2026.pdf"));

        // 1. The notification mail in the outbox carries the recipient's link.
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Recipient, ingested.Id);
        Assert.Equal(ingested.LinkFor(Recipient), link);

        await using var context = await browser.NewContextAsync();
        var watch = await LeakWatch.AttachAsync(context, _host.BaseUrl);
        var page = await context.NewPageAsync();

        // 2. Link → "send me a passcode" → the passcode mail (same reference code) → signed in on the message.
        await RecipientFlow.SignInFromLinkAsync(page, _host, link, Recipient);
        Assert.EndsWith($"/messages/{ingested.Id}", page.Url, StringComparison.Ordinal);
        Assert.Contains(Mails.Sender, await page.Locator(".message-headers").InnerTextAsync(), StringComparison.Ordinal);

        // 3. The body, inside the sandboxed frame.
        var frame = await Pages.BodyFrameAsync(page);
        Assert.Contains($"/messages/{ingested.Id}/body", frame.Url, StringComparison.Ordinal);
        Assert.Equal(marker, await Pages.PollAsync<string>(frame, "() => document.querySelector('.marker')?.textContent", "the body text"));
        Assert.Empty(await page.Locator($"text={marker}").AllAsync()); // not in the page itself, only in the frame

        // 4. The inline (cid:) image loads through the portal's authorised URL.
        var width = await Pages.PollAsync<int>(frame, "() => { const i = document.querySelector('img'); return i && i.complete ? i.naturalWidth : 0; }", "the inline image");
        Assert.Equal(16, width);
        var src = await frame.EvaluateAsync<string>("() => document.querySelector('img').src");
        Assert.StartsWith($"{_host.BaseUrl}/messages/{ingested.Id}/inline/", src, StringComparison.Ordinal);

        // 5. The attachment downloads with its name and exactly its bytes.
        var download = await Pages.DownloadAsync(page, page.Locator("a.attachment-name", new PageLocatorOptions { HasText = "polisblad 2026.pdf" }));
        Assert.Equal("polisblad 2026.pdf", download.SuggestedFilename);
        var downloaded = await File.ReadAllBytesAsync(await download.PathAsync());
        Assert.Equal(attachment, downloaded);

        // 6. Reply with an attachment; the upload progress bar is seen moving.
        var replyMarker = TestMessages.NewMarker("reply-");
        var upload = Mails.PdfLike(1536 * 1024);
        await page.Locator("a[href$='/reply?mode=reply']").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{ingested.Id}/reply\\?mode=reply$"));
        await page.Locator("textarea[name=Body]").FillAsync("Thank you, received. " + replyMarker);
        await page.Locator("input[type=file][name=Attachments]").SetInputFilesAsync(new FilePayload { Name = "signed.pdf", MimeType = "application/pdf", Buffer = upload });
        var progress = await ComposeUpload.SubmitWatchingProgressAsync(context, page);
        Assert.True(progress.SawPartial, $"The progress bar was never seen part-way (values seen: {progress.Describe()}).");
        // The replier is not a recipient of their own reply: the portal takes them back to the original.
        await page.WaitForURLAsync(new Regex($"/messages/{ingested.Id}\\?sent=[0-9a-f-]{{36}}$"));
        Assert.True(progress.Samples.Count(s => s.Visible) >= 2, $"The progress bar should stay visible while uploading ({progress.Describe()}).");
        var replyId = Assert.Single(await PortalData.RepliesToAsync(_host, ingested.Id));
        await watch.AssertCleanAsync(page, canary: null, "the recipient's session");

        // 7. The original sender is notified, opens the link in a browser of their own, and reads the reply.
        var senderLink = await Outbox.WaitForNotificationLinkAsync(_host, Mails.Sender, replyId);
        await using var senderContext = await browser.NewContextAsync();
        var senderPage = await senderContext.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(senderPage, _host, senderLink, Mails.Sender);
        Assert.EndsWith($"/messages/{replyId}", senderPage.Url, StringComparison.Ordinal);
        var senderFrame = await Pages.BodyFrameAsync(senderPage);
        await Pages.PollAsync<bool>(senderFrame, $"() => document.body.innerText.includes('{replyMarker}')", "the reply text");
        Assert.Contains(Recipient, await senderPage.Locator(".message-headers").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await senderPage.Locator("a.attachment-name", new PageLocatorOptions { HasText = "signed.pdf" }).CountAsync());
        var replyDownload = await Pages.DownloadAsync(senderPage, senderPage.Locator("a.attachment-name", new PageLocatorOptions { HasText = "signed.pdf" }));
        Assert.Equal(upload, await File.ReadAllBytesAsync(await replyDownload.PathAsync()));
    }
}
