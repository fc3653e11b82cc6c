using Microsoft.Playwright;
using MimeKit;
using MimeKit.Utils;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The whole message on screen (issue 20, items 2 and 7): the body frame is as tall as the mail (the
/// portal's height report, allowed in the sandboxed frame by its hash, under the real CSP), wide mail
/// scrolls sideways inside the frame on a phone instead of being cut off, Print prints the message with
/// its headers (not for Do-Not-Forward), and dates are shown in the reader's time zone and language.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WholeMessageTests(BrowserFixture browser) : IAsyncLifetime
{
    private static readonly DateTimeOffset SentAt = new(2026, 3, 10, 14, 30, 0, TimeSpan.Zero);

    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Reader(string test) => $"{test}.{Guid.NewGuid().ToString("N")[..6]}@example.nl";

    private static MimeMessage Html(string to, string subject, string html)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Contoso Insurance", Mails.Sender));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = MimeUtils.GenerateMessageId("contoso.test");
        message.Date = SentAt;
        message.Body = new BodyBuilder { HtmlBody = html }.ToMessageBody();
        return message;
    }

    private static string Paragraphs(int count) =>
        string.Concat(Enumerable.Range(1, count).Select(i =>
            $"<p id=\"p{i}\">Paragraph {i}. Your policy changes on the first of January; this paragraph is long enough to wrap on a phone and on a desktop screen alike.</p>"));

    private Task<IBrowserContext> ContextAsync(string locale = "en-GB", string timeZone = "Europe/Amsterdam", ViewportSize? viewport = null, bool bypassCsp = false) =>
        browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale,
            TimezoneId = timeZone,
            ViewportSize = viewport ?? PageAudit.Desktop,
            BypassCSP = bypassCsp,
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });

    /// <summary>Waits until the page sized the frame from its report and the size holds still.</summary>
    private static async Task<IFrame> SizedFrameAsync(IPage page)
    {
        var frame = await Pages.BodyFrameAsync(page);
        await page.WaitForFunctionAsync("() => document.querySelector('iframe.mail-frame')?.classList.contains('is-sized')");
        var last = -1d;
        for (var i = 0; i < 40; i++)
        {
            var height = await page.Locator(Pages.BodyFrameSelector).EvaluateAsync<double>("f => f.getBoundingClientRect().height");
            if (Math.Abs(height - last) < 0.5)
            {
                break;
            }

            last = height;
            await page.WaitForTimeoutAsync(150);
        }

        return frame;
    }

    /// <summary>The frame document's scroll height and its visible height, and the frame element's height.</summary>
    private static async Task<(int Content, int Visible, double Element)> HeightsAsync(IPage page, IFrame frame)
    {
        var inner = await frame.EvaluateAsync<int[]>("() => [document.documentElement.scrollHeight, document.documentElement.clientHeight]");
        var element = await page.Locator(Pages.BodyFrameSelector).EvaluateAsync<double>("f => f.getBoundingClientRect().height");
        return (inner[0], inner[1], element);
    }

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task LongMessage_FrameHoldsItAll_WithoutAnInnerScrollbar(int width, int height)
    {
        var reader = Reader("long");
        var message = await PortalApi.IngestAsync(_host, Html(reader, "Forty paragraphs", Paragraphs(40)));
        await using var context = await ContextAsync(viewport: new ViewportSize { Width = width, Height = height });
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);

        var frame = await SizedFrameAsync(page);
        var (content, visible, element) = await HeightsAsync(page, frame);
        Assert.True(content <= visible + 1, $"The frame scrolls inside: content {content}px, visible {visible}px.");
        Assert.True(element > height, $"A 40-paragraph message should be taller than the screen, the frame is {element}px.");

        // The last paragraph is inside the frame's box, not below a fold within it.
        var lastBottom = await frame.EvaluateAsync<double>("() => document.getElementById('p40').getBoundingClientRect().bottom");
        Assert.True(lastBottom <= visible, $"Paragraph 40 ends at {lastBottom}px of {visible}px.");

        // The page itself scrolls (one scrollbar), and fits the phone sideways.
        Assert.Equal(0, await Pages.HorizontalOverflowAsync(page));

        // A narrower window wraps the text onto more lines: the frame follows.
        await page.SetViewportSizeAsync(Math.Max(320, width / 2), height);
        await page.WaitForTimeoutAsync(300);
        frame = await SizedFrameAsync(page);
        (content, visible, _) = await HeightsAsync(page, frame);
        Assert.True(content <= visible + 1, $"After resizing the frame scrolls inside: content {content}px, visible {visible}px.");
    }

    [Fact]
    public async Task ShortMessage_LeavesNoLargeEmptyBox()
    {
        var reader = Reader("short");
        var message = await PortalApi.IngestAsync(_host, Html(reader, "Twenty words",
            "<p>Your new policy documents are ready. Please read them carefully and keep them with your other important papers.</p>"));
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);

        var frame = await SizedFrameAsync(page);
        var (content, visible, element) = await HeightsAsync(page, frame);
        Assert.True(content <= visible + 1, $"content {content}px, visible {visible}px");
        Assert.True(element < 160, $"Twenty words should not leave a large empty box: the frame is {element}px tall.");
    }

    [Fact]
    public async Task WideMessage_OnAPhone_ScrollsSidewaysInsideTheFrame_NotClipped()
    {
        var reader = Reader("wide");
        var html = "<table width=\"900\" style=\"width:900px\"><tr><td style=\"width:880px\">Wide newsletter layout</td><td><span id=\"right-edge\">RIGHT-EDGE</span></td></tr></table>" + Paragraphs(3);
        var message = await PortalApi.IngestAsync(_host, Html(reader, "Wide layout", html));
        await using var context = await ContextAsync(viewport: PageAudit.Phone);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);
        var frame = await SizedFrameAsync(page);

        // The page does not scroll sideways; the mail does, inside its frame, as a whole.
        Assert.Equal(0, await Pages.HorizontalOverflowAsync(page));
        var sideways = await frame.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(sideways[0] > sideways[1], $"The wide table should make the frame scroll sideways ({sideways[0]} vs {sideways[1]}).");
        Assert.Contains(await frame.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).overflowX"), new[] { "auto", "visible", "scroll" });

        // Scrolled to the right, the last cell is fully in view: nothing is cut off.
        var inView = await frame.EvaluateAsync<bool>(
            "() => { document.scrollingElement.scrollLeft = 100000; const r = document.getElementById('right-edge').getBoundingClientRect(); return r.left >= 0 && r.right <= document.documentElement.clientWidth; }");
        Assert.True(inView, "The right edge of the wide mail could not be scrolled into view.");

        // The sideways scroll bar does not cover the last line: the frame counts it in its height.
        var (content, visible, _) = await HeightsAsync(page, frame);
        Assert.True(content <= visible + 1, $"content {content}px, visible {visible}px");
    }

    [Fact]
    public async Task Print_ShowsTheWholeMessageWithItsHeaders()
    {
        var reader = Reader("print");
        var message = await PortalApi.IngestAsync(_host, Html(reader, "Print me", Paragraphs(40)));
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);
        await SizedFrameAsync(page);

        // The Print button is offered (by the portal's script) and opens the browser's print.
        var print = page.Locator("button[data-print]");
        Assert.True(await print.IsVisibleAsync(), "The Print button should be shown.");
        Assert.Equal("Print", (await print.InnerTextAsync()).Trim());
        await page.EvaluateAsync("() => { window.__printed = 0; window.print = () => { window.__printed++; }; }");
        await print.ClickAsync();
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.__printed"));

        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        Assert.True(await page.Locator("h1.message-subject").IsVisibleAsync());
        Assert.True(await page.Locator(".message-headers").IsVisibleAsync());
        Assert.Contains("Contoso Insurance", await page.Locator(".message-headers").InnerTextAsync(), StringComparison.Ordinal);
        foreach (var chrome in new[] { ".site-header", ".site-footer", ".message-actions", "p.back" })
        {
            Assert.False(await page.Locator(chrome).First.IsVisibleAsync(), $"{chrome} should not print.");
        }

        var frame = await SizedFrameAsync(page);
        var (content, visible, _) = await HeightsAsync(page, frame);
        Assert.True(content <= visible + 1, $"In print the frame cuts the message off: content {content}px, visible {visible}px.");
        Assert.Equal(0, await page.Locator(".ome-print-notice:visible").CountAsync());

        // Printed for real (Chromium's PDF): the headers and every paragraph, over several pages, not cut off at the first.
        var pdf = await page.PdfAsync(new PagePdfOptions { Format = "A4" });
        using var document = UglyToad.PdfPig.PdfDocument.Open(pdf);
        var printed = string.Join("\n", document.GetPages().Select(p => p.Text));
        Assert.True(document.NumberOfPages >= 3, $"Forty paragraphs printed on {document.NumberOfPages} page(s).");
        Assert.Contains("Print me", printed, StringComparison.Ordinal);
        Assert.Contains("Contoso Insurance", printed, StringComparison.Ordinal);
        Assert.Contains("Paragraph 1.", printed, StringComparison.Ordinal);
        Assert.True(printed.Contains("Paragraph 40.", StringComparison.Ordinal), string.Join("\n---\n", document.GetPages().Select(p => p.Text.Length > 300 ? p.Text[..150] + " … " + p.Text[^150..] : p.Text)));
        Assert.DoesNotContain("Reply all", printed, StringComparison.Ordinal);
        await ScreenshotAsync(page, "print-emulated");
    }

    [Fact]
    public async Task DoNotForward_OffersNoPrint_AndPrintsOnlyItsNotice()
    {
        var reader = Reader("dnf");
        var message = await PortalApi.IngestAsync(_host, Html(reader, "Do not forward", Paragraphs(5)), protection: "DoNotForward");
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);
        await SizedFrameAsync(page);

        Assert.Equal(0, await page.Locator("[data-print]").CountAsync());
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        Assert.True(await page.Locator(".ome-print-notice").IsVisibleAsync());
        Assert.False(await page.Locator(".message-headers").IsVisibleAsync());
        Assert.False(await page.Locator(Pages.BodyFrameSelector).IsVisibleAsync());
    }

    /// <summary>
    /// The sanitiser strips mail scripts (HostileMailTests); this proves the frame's policy makes any that
    /// slipped through inert: markup put into the frame's document the way a sanitiser bypass would put
    /// it there (from the test side, past the page) runs nothing, while the height report did run.
    /// </summary>
    [Fact]
    public async Task ScriptThatSlipsIntoTheFrame_RunsNot_AndTheFrameIsAnOpaqueOrigin()
    {
        var reader = Reader("inert");
        var message = await PortalApi.IngestAsync(_host, Html(reader, "Inert", Paragraphs(2)));
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);
        var frame = await SizedFrameAsync(page); // the portal's own script ran: the frame was sized

        Assert.Equal("null", await frame.EvaluateAsync<string>("() => self.origin"));
        Assert.True(await frame.EvaluateAsync<bool>("() => { try { return !parent.document; } catch { return true; } }"), "The frame reached the page's document.");

        await frame.EvaluateAsync(
            """
            () => {
              window.__violations = 0;
              document.addEventListener('securitypolicyviolation', () => window.__violations++);
              const script = document.createElement('script');
              script.textContent = 'window.pwned = "inline"';
              document.body.appendChild(script);
              const handler = document.createElement('img');
              handler.setAttribute('onerror', 'window.pwned = "handler"');
              handler.src = 'data:,not-an-image';
              document.body.appendChild(handler);
              const link = document.createElement('a');
              link.href = 'javascript:window.pwned="url"';
              link.id = 'js-link';
              link.textContent = 'click';
              document.body.appendChild(link);
              document.body.insertAdjacentHTML('beforeend', '<div id="parsed"><script>window.pwned = "parsed"<\/script></div>');
            }
            """);
        await frame.Locator("#js-link").ClickAsync();
        await page.WaitForTimeoutAsync(500);
        Assert.Equal("undefined", await frame.EvaluateAsync<string>("() => typeof window.pwned"));
        Assert.True(await frame.EvaluateAsync<int>("() => window.__violations") >= 2, "The frame's policy should have refused the script and the handler.");
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.pwned"));
    }

    [Theory]
    [InlineData("en-GB", "America/New_York", "10:30", "Mar")]
    [InlineData("en-GB", "Europe/Amsterdam", "15:30", "Mar")]
    [InlineData("nl-NL", "Europe/Amsterdam", "15:30", "mrt")]
    [InlineData("nl-NL", "America/New_York", "10:30", "mrt")]
    public async Task Dates_AreShownInTheReadersTimeZoneAndLanguage_WithTheExpiry(string locale, string timeZone, string time, string month)
    {
        var reader = Reader("dates");
        var message = await PortalApi.IngestAsync(_host, Html(reader, "Dated", "<p>Dated mail.</p>"), expiresInDays: 30);
        Assert.NotNull(message.ExpiresAt);
        await using var context = await ContextAsync(locale, timeZone);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);

        // 14:30 UTC on 10 March 2026: 10:30 in New York (summer time began on 8 March), 15:30 in Amsterdam.
        var sent = page.Locator(".message-headers time").First;
        await Assertions.Expect(sent).ToHaveAttributeAsync("data-zone", timeZone);
        var shown = await sent.InnerTextAsync();
        Assert.Contains(time, shown, StringComparison.Ordinal);
        Assert.Contains(month, shown, StringComparison.Ordinal);
        Assert.DoesNotContain("UTC", shown, StringComparison.Ordinal);
        Assert.Equal("2026-03-10T14:30:00Z", await sent.GetAttributeAsync("datetime"));
        Assert.Contains("(UTC)", await sent.GetAttributeAsync("title"), StringComparison.Ordinal);

        // The expiry, on the message page and in the inbox, in the same local form.
        var expiry = page.Locator(".message-expiry time");
        Assert.Equal(1, await expiry.CountAsync());
        var expected = ExpectedLocalDate(message.ExpiresAt!.Value, timeZone);
        Assert.Contains(expected.Day.ToString(System.Globalization.CultureInfo.InvariantCulture), await expiry.InnerTextAsync(), StringComparison.Ordinal);
        await page.GotoAsync(_host.BaseUrl + "/inbox");
        var inboxExpiry = page.Locator($"li[data-message='{message.Id}'] .inbox-expiry");
        Assert.Equal(1, await inboxExpiry.CountAsync());
        await Assertions.Expect(inboxExpiry.Locator("time")).ToHaveAttributeAsync("data-zone", timeZone);
        Assert.DoesNotContain("UTC", await inboxExpiry.InnerTextAsync(), StringComparison.Ordinal);
        Assert.StartsWith(locale.StartsWith("nl", StringComparison.Ordinal) ? "Beschikbaar tot" : "Available until", (await inboxExpiry.InnerTextAsync()).Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutScript_DatesStayInUtc_AndTheFrameKeepsAFixedHeight()
    {
        var reader = Reader("noscript");
        var message = await PortalApi.IngestAsync(_host, Html(reader, "No script", Paragraphs(3)));
        await using (var signIn = await ContextAsync())
        {
            var page = await signIn.NewPageAsync();
            await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);
            var state = await signIn.StorageStateAsync();
            await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
            {
                Locale = "en-GB", TimezoneId = "America/New_York", ViewportSize = PageAudit.Desktop, JavaScriptEnabled = false, StorageState = state,
            });
            var noScript = await context.NewPageAsync();
            await noScript.GotoAsync($"{_host.BaseUrl}/messages/{message.Id}");
            Assert.Contains("(UTC)", await noScript.Locator(".message-headers time").First.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(0, await noScript.Locator("button[data-print]:visible").CountAsync());
            var height = await noScript.Locator(Pages.BodyFrameSelector).EvaluateAsync<double>("f => f.getBoundingClientRect().height");
            Assert.True(height >= 380, $"Without script the frame keeps its fixed height, it is {height}px.");
        }
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task MessageAndInbox_PassAxe_AndFitAPhone(string language, string locale)
    {
        var reader = Reader("axe-" + language);
        var rich = Html(reader, "Files and a long text", Paragraphs(12));
        var builder = new BodyBuilder { HtmlBody = Paragraphs(12) };
        builder.Attachments.Add("Polisblad 2026.pdf", Mails.PdfLike(4096), new ContentType("application", "pdf"));
        builder.Attachments.Add("Begroting.xlsx", Mails.PdfLike(900), new ContentType("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        builder.Attachments.Add("Foto.jpg", Mails.PdfLike(2000), new ContentType("image", "jpeg"));
        rich.Body = builder.ToMessageBody();
        var message = await PortalApi.IngestAsync(_host, rich, expiresInDays: 14);

        await using var context = await ContextAsync(locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);
        var audit = new PageAudit(page, language);
        await SizedFrameAsync(page);
        await audit.CurrentAsync("whole message");
        Assert.Equal(3, await page.Locator(".attachment-list svg.file-icon").CountAsync());
        Assert.Equal(1, await page.Locator($".download-all a[href='/messages/{message.Id}/attachments/all']").CountAsync());
        await audit.VisitAsync("inbox with expiry", _host.BaseUrl + "/inbox");
        audit.AssertClean();
    }

    private static DateTime ExpectedLocalDate(DateTimeOffset utc, string timeZone) =>
        TimeZoneInfo.ConvertTime(utc, TimeZoneInfo.FindSystemTimeZoneById(timeZone)).DateTime;

    private static async Task ScreenshotAsync(IPage page, string label)
    {
        if (PageAudit.ScreenshotDirectory is { } directory)
        {
            Directory.CreateDirectory(directory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, "whole-message-" + label + ".png"), FullPage = true });
        }
    }
}
