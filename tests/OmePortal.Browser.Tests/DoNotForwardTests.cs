using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Do-Not-Forward as the reader meets it: no forward button, no download links, a watermark with the
/// reader's address, print shows only a notice — and the server refuses a forged forward (or a reply
/// that changes the recipients) sent from the signed-in page itself, storing nothing.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DoNotForwardTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "reader@example.nl";
    private const string Outsider = "outsider@elsewhere.test";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task DoNotForward_HidesForwardAndDownloads_ShowsWatermark_PrintsOnlyANotice()
    {
        var marker = TestMessages.NewMarker("dnf-");
        var dnf = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, marker, Mails.PdfLike(2048), subject: "Do not forward"), protection: "DoNotForward");
        var open = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "encrypt only", Mails.PdfLike(2048), subject: "Encrypt only"));
        Assert.Equal("DoNotForward", dnf.Protection);

        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, dnf.LinkFor(Reader), Reader);

        // The control: an Encrypt-Only message has both, so their absence below means something.
        await page.GotoAsync($"{_host.BaseUrl}/messages/{open.Id}");
        Assert.Equal(1, await page.Locator($"a[href='/messages/{open.Id}/reply?mode=forward']").CountAsync());
        Assert.Equal(1, await page.Locator($"a[href^='/messages/{open.Id}/attachments/']:not([href$='/preview'])").CountAsync());
        Assert.Equal(0, await page.Locator(".ome-watermark").CountAsync());

        await page.GotoAsync($"{_host.BaseUrl}/messages/{dnf.Id}");
        var frame = await Pages.BodyFrameAsync(page);
        await Pages.PollAsync<bool>(frame, $"() => document.body.innerText.includes('{marker}')", "the body");
        Assert.Equal(0, await page.Locator("a[href*='mode=forward']").CountAsync());
        Assert.Equal(0, await page.Locator("a[href*='/attachments/']:not([href$='/preview'])").CountAsync()); // previews are the way to read them (Previews/Viewer)
        Assert.Equal(1, await page.Locator($"a[href='/messages/{dnf.Id}/reply?mode=reply']").CountAsync());
        Assert.Contains("report.pdf", await page.Locator(".attachment-list").InnerTextAsync(), StringComparison.Ordinal); // listed, not linked

        // The watermark carries the reader's address and really covers the page.
        var watermark = page.Locator(".ome-watermark");
        Assert.True(await watermark.IsVisibleAsync(), "The watermark should be visible.");
        Assert.Equal(Reader, await watermark.GetAttributeAsync("data-reader"));
        var background = await watermark.EvaluateAsync<string>("e => getComputedStyle(e).backgroundImage");
        Assert.Contains(Reader, Uri.UnescapeDataString(background), StringComparison.Ordinal);
        var box = await watermark.BoundingBoxAsync();
        Assert.True(box is { Width: >= 300, Height: >= 300 }, $"The watermark should cover the page, it is {box?.Width}×{box?.Height}.");

        // On screen the print notice is out of the way; in print it is all there is.
        Assert.False(await page.Locator(".ome-print-notice").IsVisibleAsync());
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        Assert.True(await page.Locator(".ome-print-notice").IsVisibleAsync(), "Printing should show the notice.");
        Assert.False(await page.Locator("article.message").IsVisibleAsync(), "Printing should not show the message.");
        Assert.False(await page.Locator(Pages.BodyFrameSelector).IsVisibleAsync(), "Printing should not show the body frame.");
        Assert.Equal("none", await frame.EvaluateAsync<string>("() => getComputedStyle(document.body).display"));
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Screen });
        Assert.True(await page.Locator(Pages.BodyFrameSelector).IsVisibleAsync());
    }

    [Fact]
    public async Task ForgedForwardFromThePage_IsRefused_AndNothingIsStored()
    {
        var dnf = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "secret terms", Mails.PdfLike(2048), subject: "Do not forward"), protection: "DoNotForward");
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, dnf.LinkFor(Reader), Reader);
        var messagesBefore = await PortalData.MessageCountAsync(_host);
        var mailsBefore = (await Outbox.AllAsync(_host)).Count;

        // Opening the forward form by hand is refused as well.
        var compose = await page.GotoAsync($"{_host.BaseUrl}/messages/{dnf.Id}/reply?mode=forward");
        Assert.Equal(403, compose!.Status);
        Assert.Equal(0, await page.Locator("#compose-form").CountAsync());
        // The reply form (allowed under Do-Not-Forward) gives the forger a valid antiforgery token.
        await page.GotoAsync($"{_host.BaseUrl}/messages/{dnf.Id}/reply?mode=reply");

        // A forward, a reply that adds a recipient, and a direct download, forged from the page's own context.
        var forward = await ForgeAsync(page, $"/messages/{dnf.Id}/reply?mode=forward", new() { ["To"] = Outsider, ["Body"] = "FYI" }, withFile: true);
        var widenedReply = await ForgeAsync(page, $"/messages/{dnf.Id}/reply?mode=reply", new() { ["To"] = Outsider, ["Body"] = "adding someone" }, withFile: false);
        var download = await page.EvaluateAsync<int>($"async () => (await fetch('/messages/{dnf.Id}/attachments/0', {{ redirect: 'manual' }})).status");

        Assert.Equal(403, forward);
        Assert.Equal(403, widenedReply);
        Assert.Equal(403, download);
        Assert.Equal(messagesBefore, await PortalData.MessageCountAsync(_host));
        Assert.Empty(await PortalData.RepliesToAsync(_host, dnf.Id));
        await Task.Delay(1000); // a notification would be queued with the message; give the dispatcher a round
        var mails = await Outbox.AllAsync(_host);
        Assert.Equal(mailsBefore, mails.Count);
        Assert.DoesNotContain(mails, m => m.To.Mailboxes.Any(a => a.Address == Outsider));

        // The control: the same forged request without the recipient change is an ordinary reply and is stored.
        var reply = await ForgeAsync(page, $"/messages/{dnf.Id}/reply?mode=reply", new() { ["Body"] = "a proper reply" }, withFile: false);
        Assert.Equal(0, reply); // fetch with redirect: 'manual' sees the 303 as an opaque redirect
        Assert.Single(await PortalData.RepliesToAsync(_host, dnf.Id));
    }

    /// <summary>
    /// POSTs a multipart form from inside the signed-in page with the page's own antiforgery token
    /// (taken from the form the page holds). Returns the HTTP status (0 for a redirect).
    /// </summary>
    private static async Task<int> ForgeAsync(IPage page, string url, Dictionary<string, string> fields, bool withFile)
    {
        var token = await page.EvaluateAsync<string?>("() => document.querySelector('input[name=__RequestVerificationToken]')?.value ?? null");
        Assert.False(string.IsNullOrEmpty(token), "The page should hold a form with an antiforgery token.");
        return await page.EvaluateAsync<int>(
            """
            async ([url, token, fields, withFile]) => {
              const form = new FormData();
              form.append('__RequestVerificationToken', token);
              for (const [name, value] of Object.entries(fields)) form.append(name, value);
              if (withFile) form.append('Attachments', new Blob(['%PDF-1.7 forged'], { type: 'application/pdf' }), 'forged.pdf');
              const response = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
              return response.status;
            }
            """,
            new object[] { url, token!, fields, withFile });
    }
}
