using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Intake;
using OmePortal.Web.Vault;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Reading;

/// <summary>
/// Reading over real HTTP with recipients signed in through the real passcode flow: the inbox, the
/// message page, the body frame, inline images and downloads, and every refusal.
/// </summary>
public abstract class ReadingTests : IAsyncLifetime
{
    private const string PolicySample = "01-dutch-policy-inline-logo-pdf.eml";
    private const string PolicyRecipient = "jan.devries@example.nl";
    private const string PolicyPdf = "Polisblad 2026 – De Vries.pdf";
    private const string PolicyLogoContentId = "179594558274.18247.15342881861526769260@contoso.test";
    private const string PlainSample = "02-plain-latin9-card-number.eml";

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<RecipientBrowserlessClient> SignInAsync(Ingested message, string? address = null) =>
        RecipientBrowserlessClient.SignInFromLinkAsync(_host, address is null ? message.Link : message.Links[address]);

    [Fact]
    public async Task Stranger_SignedInForMessageA_GetsNothingOfMessageB()
    {
        // A is the same policy mail addressed to someone else, so the stranger holds a frame ticket of their own.
        var a = await IngestAsync(_host, Readdressed(PolicySample, "stranger@example.nl"));
        var b = await IngestSampleAsync(_host, PolicySample);
        using var owner = await SignInAsync(b);
        using var stranger = await SignInAsync(a);

        // B's own recipient reaches every part of B: the refusals below are about who asks, not broken URLs.
        var (ownerStatus, ownerPage, _) = await GetAsync(owner.Http, $"/messages/{b.Id}");
        Assert.Equal(HttpStatusCode.OK, ownerStatus);
        var pdf = AttachmentIndex(ownerPage, b.Id, PolicyPdf);
        var (_, ownerFrame, _) = await GetAsync(owner.Http, $"/messages/{b.Id}/body");
        var logo = Assert.Single(InlineUrls(ownerFrame, b.Id)).Split('?')[0];
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(owner.Http, logo)).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(owner.Http, $"/messages/{b.Id}/attachments/{pdf}")).Status);

        // The stranger is signed in and reads A ...
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(stranger.Http, $"/messages/{a.Id}")).Status);
        var (_, strangerFrame, _) = await GetAsync(stranger.Http, $"/messages/{a.Id}/body");
        var strangerTicket = Assert.Single(InlineUrls(strangerFrame, a.Id)).Split("?t=")[1];

        // ... and gets a plain 404 for every part of B, with nothing of B in it.
        foreach (var path in new[]
        {
            $"/messages/{b.Id}",
            $"/messages/{b.Id}/body",
            $"/messages/{b.Id}/body?images=1",
            logo,
            logo + "?t=" + strangerTicket, // a ticket names its message
            $"/messages/{b.Id}/attachments/{pdf}",
            $"/messages/{b.Id}/attachments/0",
            $"/messages/{b.Id}/reply?mode=reply",
            $"/messages/{b.Id}/reply?mode=forward",
        })
        {
            var (status, body, response) = await GetAsync(stranger.Http, path);
            Assert.True(status == HttpStatusCode.NotFound, $"{path} answered {(int)status}");
            Assert.DoesNotContain("jan.devries", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("De Vries", WebUtility.HtmlDecode(body), StringComparison.Ordinal);
            Assert.Null(response.Content.Headers.ContentDisposition);
        }

        // Without any cookie, the stranger's ticket does not open B either.
        using var cookieless = _host.CreateHttpClient();
        Assert.Equal(HttpStatusCode.Redirect, (await cookieless.GetAsync(logo + "?t=" + strangerTicket)).StatusCode);
    }

    [Fact]
    public async Task NotARecipient_AndUnknownMessage_GetTheSameNotFoundPage()
    {
        var a = await IngestSampleAsync(_host, PlainSample);
        var b = await IngestSampleAsync(_host, PolicySample);
        using var stranger = await SignInAsync(a);

        // The first page after sign-in carries the passkey offer (once); both pages compared come after it.
        using (await stranger.Http.GetAsync("/inbox"))
        {
        }

        var (someoneElses, someoneElsesHtml, _) = await GetAsync(stranger.Http, $"/messages/{b.Id}");
        var unknownId = Guid.NewGuid();
        var (unknown, unknownHtml, _) = await GetAsync(stranger.Http, $"/messages/{unknownId}");

        Assert.Equal(HttpStatusCode.NotFound, someoneElses);
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Contains("data-unavailable=\"NotFound\"", someoneElsesHtml, StringComparison.Ordinal);
        Assert.Equal(
            WithoutPerResponseValues(unknownHtml).Replace(unknownId.ToString(), "ID", StringComparison.Ordinal),
            WithoutPerResponseValues(someoneElsesHtml).Replace(b.Id.ToString(), "ID", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Anonymous_EveryEndpoint_RedirectsToSignIn_WithoutContent()
    {
        var b = await IngestSampleAsync(_host, PolicySample);
        using var owner = await SignInAsync(b);
        var (_, ownerFrame, _) = await GetAsync(owner.Http, $"/messages/{b.Id}/body");
        var logo = Assert.Single(InlineUrls(ownerFrame, b.Id)).Split('?')[0];
        using var anonymous = _host.CreateHttpClient();

        foreach (var id in new[] { b.Id, Guid.NewGuid() })
        {
            foreach (var path in new[]
            {
                $"/messages/{id}",
                $"/messages/{id}/body",
                $"/messages/{id}/body?images=1",
                logo.Replace(b.Id.ToString(), id.ToString(), StringComparison.Ordinal),
                logo.Replace(b.Id.ToString(), id.ToString(), StringComparison.Ordinal) + "?t=forged",
                $"/messages/{id}/attachments/1",
            })
            {
                var (status, body, response) = await GetAsync(anonymous, path);
                Assert.True(status == HttpStatusCode.Redirect, $"{path} answered {(int)status}");
                Assert.StartsWith("/signin?returnUrl=", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
                Assert.Contains(Uri.EscapeDataString($"/messages/{id}"), response.Headers.Location!.OriginalString, StringComparison.Ordinal);
                Assert.DoesNotContain("polis", body, StringComparison.OrdinalIgnoreCase);
            }
        }

        var (inboxStatus, _, inbox) = await GetAsync(anonymous, "/inbox");
        Assert.Equal(HttpStatusCode.Redirect, inboxStatus);
        Assert.Equal("/signin?returnUrl=" + Uri.EscapeDataString("/inbox"), inbox.Headers.Location?.OriginalString);
    }

    /// <summary>The pages a signed-in reader of <paramref name="message"/> browses: the inbox and the message.</summary>
    private static string[] SignedInPages(Ingested message) => ["/inbox", $"/messages/{message.Id}"];

    [Fact]
    public async Task Pages_CarryTheSecurityHeaders_AndMessagePagesAreNotStored()
    {
        var b = await IngestSampleAsync(_host, PolicySample);
        using var reader = await SignInAsync(b);

        foreach (var path in SignedInPages(b))
        {
            var (status, html, response) = await GetAsync(reader.Http, path);
            Assert.Equal(HttpStatusCode.OK, status);
            var csp = Header(response, "Content-Security-Policy");
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("base-uri 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
            AssertNoStore(response);
            Assert.Matches("^(en|nl)$", new HtmlPage(html).Language ?? string.Empty);
        }

        // The frame element: sandboxed without same-origin (an opaque origin: only the height report runs there, by its hash), titled, pointing at the body URL.
        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{b.Id}");
        var frame = new MessagePage(new HtmlPage(page)).BodyFrame;
        Assert.NotNull(frame);
        Assert.Equal($"/messages/{b.Id}/body", frame.GetAttribute("src"));
        Assert.Equal("allow-scripts allow-popups allow-popups-to-escape-sandbox", frame.GetAttribute("sandbox"));
        Assert.DoesNotContain("allow-same-origin", frame.OuterHtml, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(frame.GetAttribute("title")));
    }

    /// <summary>
    /// Reading pages hold no form: minting an antiforgery token was a tenth of a reading request
    /// (bench/RESULTS.md). Sign-out is a link to its page, whose form carries the token.
    /// </summary>
    [Fact]
    public async Task ReadingPages_MintNoAntiforgeryToken_AndLinkToTheSignOutPage()
    {
        var b = await IngestSampleAsync(_host, PolicySample);
        using var reader = await SignInAsync(b);

        foreach (var path in SignedInPages(b))
        {
            var (status, html, response) = await GetAsync(reader.Http, path);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain("__RequestVerificationToken", html, StringComparison.Ordinal);
            Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.Contains("Antiforgery", StringComparison.OrdinalIgnoreCase)));

            // The one form is the header's one-click sign-out, which needs no token (Access/SignOut.cshtml.cs).
            Assert.All(new HtmlPage(html).FindAll("form"), f => Assert.StartsWith("/signout", f.GetAttribute("action"), StringComparison.Ordinal));
            Assert.NotNull(new HtmlPage(html).Find("header form[action^='/signout']"));
        }

        var (_, signOutPage, _) = await GetAsync(reader.Http, "/signout");
        Assert.Contains("__RequestVerificationToken", signOutPage, StringComparison.Ordinal);
    }

    /// <summary>
    /// The portal's stylesheets are linked with a content version, so a browser keeps them until they
    /// change; the versioned URL serves the file.
    /// </summary>
    [Fact]
    public async Task Stylesheets_AreLinkedWithAContentVersion()
    {
        var b = await IngestSampleAsync(_host, PolicySample);
        using var reader = await SignInAsync(b);
        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{b.Id}");

        var links = new MessagePage(new HtmlPage(page)).Stylesheets;
        Assert.Contains(links, href => href.StartsWith("/css/site.css?v=", StringComparison.Ordinal));
        Assert.Contains(links, href => href.StartsWith("/css/reading.css?v=", StringComparison.Ordinal));
        using var anonymous = _host.CreateHttpClient();
        foreach (var href in links)
        {
            Assert.Matches("^/css/[a-z-]+\\.css\\?v=[A-Za-z0-9_-]{20,}$", href);
            using var css = await anonymous.GetAsync(href);
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
            Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task BodyFrame_HasItsOwnStrictPolicy()
    {
        var b = await IngestSampleAsync(_host, PolicySample);
        using var reader = await SignInAsync(b);

        var (status, html, response) = await GetAsync(reader.Http, $"/messages/{b.Id}/body");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = Header(response, "Content-Security-Policy");
        Assert.Equal(OmePortal.Web.Reading.ReadingHeaders.BodyFramePolicy, csp);
        Assert.Contains("script-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline'; base-uri", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-same-origin", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("http:", csp, StringComparison.Ordinal);
        Assert.Equal("SAMEORIGIN", Header(response, "X-Frame-Options"));
        AssertNoStore(response);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<title>Uw polis – wijziging per 1 januari 2026</title>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("cid:", html, StringComparison.OrdinalIgnoreCase);

        // One script, the portal's height report, in the head before the mail; none in the body.
        Assert.Equal(1, Regex.Count(html, "<script", RegexOptions.IgnoreCase));
        Assert.Contains("<script>" + OmePortal.Web.Reading.BodyDocument.FrameScript + "</script></head><body>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InlineLogo_IsServedThroughTheFrameTicketAndTheSession_WithTheRightBytes()
    {
        var b = await IngestSampleAsync(_host, PolicySample);
        using var reader = await SignInAsync(b);
        var expected = ExpectedPart(PolicySample, contentId: PolicyLogoContentId);

        var (_, frame, _) = await GetAsync(reader.Http, $"/messages/{b.Id}/body");
        var url = Assert.Single(InlineUrls(frame, b.Id));
        Assert.Contains("?t=", url, StringComparison.Ordinal);

        // The sandboxed frame's image request carries no cookie: the ticket alone must do.
        using var cookieless = _host.CreateHttpClient();
        using var viaTicket = await cookieless.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, viaTicket.StatusCode);
        Assert.Equal("image/png", viaTicket.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected, await viaTicket.Content.ReadAsByteArrayAsync());
        Assert.Equal("nosniff", Header(viaTicket, "X-Content-Type-Options"));
        AssertNoStore(viaTicket);

        // Opened on its own (a new tab) the session cookie does it.
        var path = url.Split('?')[0];
        using var viaSession = await reader.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, viaSession.StatusCode);
        Assert.Equal(expected, await viaSession.Content.ReadAsByteArrayAsync());

        // A tampered ticket is nobody's.
        var ticket = url.Split("?t=")[1];
        var tampered = ticket[..^2] + (ticket[^2] == 'A' ? "B" : "A") + ticket[^1];
        Assert.Equal(HttpStatusCode.Redirect, (await cookieless.GetAsync(path + "?t=" + tampered)).StatusCode);

        // The PDF is not an inline image.
        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{b.Id}");
        var pdf = AttachmentIndex(page, b.Id, PolicyPdf);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.Http.GetAsync($"/messages/{b.Id}/inline/{pdf}")).StatusCode);

        // Signing out ends the ticket with the session.
        using var signedOut = await reader.PostFormAsync("/signout", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Redirect, (await cookieless.GetAsync(url)).StatusCode);
    }

    [Theory]
    [InlineData("04-large-attachment-unicode-filename.eml", "bakker@lawfirm.example", "Concept-overeenkomst-Ŝpecial-ĳzer-€.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    [InlineData("08-rfc2231-filename-8bit.eml", "eva@example.de", "Übersicht Q4.csv", "text/csv")]
    [InlineData(PolicySample, PolicyRecipient, PolicyPdf, "application/pdf")]
    public async Task Attachment_DownloadsAsAStream_WithRfc6266Name(string sample, string recipient, string fileName, string contentType)
    {
        var message = await IngestSampleAsync(_host, sample);
        using var reader = await SignInAsync(message, recipient);
        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
        var index = AttachmentIndex(page, message.Id, fileName);
        var expected = ExpectedPart(sample, fileName: fileName);

        using var response = await reader.Http.GetAsync($"/messages/{message.Id}/attachments/{index}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal(fileName, disposition.FileNameStar);
        var fallback = disposition.FileName!.Trim('"');
        Assert.All(fallback, c => Assert.InRange(c, ' ', '~'));
        Assert.Contains("filename*=UTF-8''", Header(response, "Content-Disposition"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected.Length, response.Content.Headers.ContentLength);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        AssertNoStore(response);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Attachment_OfAnHtmlType_IsNeverServedAsHtml()
    {
        var mime = new MimeKit.MimeMessage();
        mime.From.Add(new MimeKit.MailboxAddress("Sender", "sender@contoso.test"));
        mime.To.Add(MimeKit.MailboxAddress.Parse("html-attachment@example.nl"));
        mime.Subject = "Page attached";
        var builder = new MimeKit.BodyBuilder { TextBody = "See attached." };
        builder.Attachments.Add("page.html", "<script>alert(1)</script>"u8.ToArray(), new MimeKit.ContentType("text", "html"));
        mime.Body = builder.ToMessageBody();
        var message = await IngestAsync(_host, TestMessages.ToBytes(mime));
        using var reader = await SignInAsync(message);
        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");

        using var response = await reader.Http.GetAsync($"/messages/{message.Id}/attachments/{AttachmentIndex(page, message.Id, "page.html")}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("sandbox", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteImages_AreBlockedByDefault_AndShownThroughTheProxyWhenAsked()
    {
        var message = await IngestSampleAsync(_host, "05-html-only-remote-images-tracking.eml");
        using var reader = await SignInAsync(message);

        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
        Assert.Contains($"href=\"/messages/{message.Id}?images=1\"", page, StringComparison.Ordinal);
        Assert.Contains($"src=\"/messages/{message.Id}/body\"", page, StringComparison.Ordinal);

        var (_, blocked, blockedResponse) = await GetAsync(reader.Http, $"/messages/{message.Id}/body");
        Assert.DoesNotContain(new BodyFramePage(new HtmlPage(blocked)).ResourceUrls, u => u.StartsWith("http:", StringComparison.Ordinal) || u.StartsWith("https:", StringComparison.Ordinal));
        Assert.Contains("data-ome-remote-src=\"http", blocked, StringComparison.Ordinal);
        Assert.DoesNotContain("http", Header(blockedResponse, "Content-Security-Policy").Split("img-src")[1].Split(';')[0], StringComparison.Ordinal);

        var (_, shownPage, _) = await GetAsync(reader.Http, $"/messages/{message.Id}?images=1");
        Assert.Contains($"src=\"/messages/{message.Id}/body?images=1\"", shownPage, StringComparison.Ordinal);
        var (_, shown, shownResponse) = await GetAsync(reader.Http, $"/messages/{message.Id}/body?images=1");
        Assert.Contains(new HtmlPage(shown).FindAll("img"), img => img.GetAttribute("src") is { } src && src.StartsWith($"/messages/{message.Id}/remote-image?u=http", StringComparison.Ordinal));
        Assert.DoesNotContain(new BodyFramePage(new HtmlPage(shown)).ResourceUrls, u => u.StartsWith("http:", StringComparison.Ordinal) || u.StartsWith("https:", StringComparison.Ordinal));
        Assert.DoesNotContain("data-ome-remote-src", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("http", Header(shownResponse, "Content-Security-Policy").Split("img-src")[1].Split(';')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextOnlyMessage_IsShownAsText()
    {
        var plain = await IngestSampleAsync(_host, PlainSample);
        var marked = await IngestAsync(_host, SimpleMessage("text-only@example.nl", "Plain", text: "Line one\n<b>not bold</b> & <script>alert(1)</script>\n"));
        using var plainReader = await SignInAsync(plain);
        using var markedReader = await SignInAsync(marked);

        var (_, sample, _) = await GetAsync(plainReader.Http, $"/messages/{plain.Id}/body");
        Assert.Contains("<pre class=\"ome-text\">Geachte klant,", sample, StringComparison.Ordinal);
        Assert.Contains("€ 1.234,56", sample, StringComparison.Ordinal); // ISO-8859-15 decoded

        var (_, frame, _) = await GetAsync(markedReader.Http, $"/messages/{marked.Id}/body");
        Assert.Contains("<pre class=\"ome-text\">", frame, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;", frame, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", frame, StringComparison.Ordinal);

        // The only script is the portal's height report in the head; the text's "<script>" stays text in the body.
        Assert.DoesNotContain("<script", frame.Split("<body>", 2)[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptOnly_ShowsDownloadsAndForward_WithoutWatermark()
    {
        var message = await IngestSampleAsync(_host, PolicySample, "?protection=EncryptOnly");
        using var reader = await SignInAsync(message);
        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");

        Assert.Contains($"/messages/{message.Id}/attachments/", page, StringComparison.Ordinal);
        Assert.Contains($"/messages/{message.Id}/reply?mode=forward", page, StringComparison.Ordinal);
        Assert.Contains($"/messages/{message.Id}/reply?mode=reply", page, StringComparison.Ordinal);
        Assert.Contains($"/messages/{message.Id}/reply?mode=replyall", page, StringComparison.Ordinal);
        Assert.DoesNotContain("ome-watermark", page, StringComparison.Ordinal);
        Assert.DoesNotContain("reading-print.css", page, StringComparison.Ordinal);
        Assert.Contains("Polisblad 2026 – De Vries.pdf", WebUtility.HtmlDecode(page), StringComparison.Ordinal);
        // The inline logo is part of the body, not a file to download.
        Assert.DoesNotContain(">logo.png<", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DoNotForward_RefusesDownloadsOnTheServer_AndMarksThePage()
    {
        var message = await IngestSampleAsync(_host, PolicySample, "?protection=DoNotForward");
        using var reader = await SignInAsync(message);
        var (status, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
        Assert.Equal(HttpStatusCode.OK, status);

        // No download links (an attachment's only link is its preview, Previews/Viewer), no forward; replies stay.
        var html = new HtmlPage(page);
        Assert.All(new MessagePage(html).Attachments, a => Assert.Null(a.Href));
        Assert.All(html.FindAll("a[href*='/attachments/']"), a => Assert.EndsWith("/preview", a.GetAttribute("href"), StringComparison.Ordinal));
        Assert.DoesNotContain("mode=forward", page, StringComparison.Ordinal);
        Assert.Contains($"/messages/{message.Id}/reply?mode=reply", page, StringComparison.Ordinal);

        // The server refuses a forged download of any attachment.
        for (var index = 0; index < 3; index++)
        {
            var (refused, body, response) = await GetAsync(reader.Http, $"/messages/{message.Id}/attachments/{index}");
            Assert.Equal(HttpStatusCode.Forbidden, refused);
            Assert.Contains("data-unavailable=\"DownloadRefused\"", body, StringComparison.Ordinal);
            Assert.Null(response.Content.Headers.ContentDisposition);
            Assert.DoesNotContain("%PDF", body, StringComparison.Ordinal);
        }

        // Watermark with the reader's address: aria-hidden, and the address in the tiled CSS background.
        var parsed = new MessagePage(new HtmlPage(page));
        var watermark = parsed.Watermark;
        Assert.NotNull(watermark);
        Assert.Equal("true", watermark.GetAttribute("aria-hidden"));
        Assert.Equal(PolicyRecipient, watermark.GetAttribute("data-reader"));

        // The tile is CSS in the page's style element; the pattern reads the stylesheet text, not the markup.
        var tile = parsed.Texts("style").Select(css => Regex.Match(css, "\\.ome-watermark \\{ background-image: url\\(\"data:image/svg\\+xml,(?<svg>[^\"]+)\"\\)")).FirstOrDefault(m => m.Success);
        Assert.NotNull(tile);
        Assert.Contains(PolicyRecipient, Uri.UnescapeDataString(tile.Groups["svg"].Value), StringComparison.Ordinal);

        // Printing yields only the notice.
        Assert.Contains(parsed.FindAll("link[rel='stylesheet'][media='print']"), l => l.GetAttribute("href")!.StartsWith("/css/reading-print.css", StringComparison.Ordinal));
        Assert.Contains("class=\"ome-print-notice\">This message may not be printed.<", page, StringComparison.Ordinal);
        using var anonymous = _host.CreateHttpClient();
        var printCss = await anonymous.GetStringAsync("/css/reading-print.css");
        Assert.Contains("main > *:not(.ome-print-notice) { display: none !important; }", printCss, StringComparison.Ordinal);
        var (_, frame, _) = await GetAsync(reader.Http, $"/messages/{message.Id}/body");
        Assert.Contains("@media print{body{display:none}}", frame, StringComparison.Ordinal);

        // The sample's logo is marked Content-Disposition: attachment: under Do-Not-Forward it is a file, listed without
        // a link, and not shown through the inline path (InlineImageDispositionTests: a true inline image still shows).
        Assert.Empty(InlineUrls(frame, message.Id));
        Assert.Contains(parsed.Attachments, a => a.FileName == "logo.png" && a.Href is null);
    }

    [Fact]
    public async Task DoNotForward_PagesAreLocalised()
    {
        var message = await IngestSampleAsync(_host, PolicySample, "?protection=DoNotForward");
        using var reader = await SignInAsync(message);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/messages/{message.Id}");
        request.Headers.AcceptLanguage.ParseAdd("nl");
        using var response = await reader.Http.SendAsync(request);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("<html lang=\"nl\"", page, StringComparison.Ordinal);
        Assert.Contains("Dit bericht mag niet worden afgedrukt.", page, StringComparison.Ordinal);
        Assert.Contains("Beantwoorden", page, StringComparison.Ordinal);
        Assert.Contains("title=\"Inhoud van het bericht\"", page, StringComparison.Ordinal);

        using var refusedRequest = new HttpRequestMessage(HttpMethod.Get, $"/messages/{message.Id}/attachments/1");
        refusedRequest.Headers.AcceptLanguage.ParseAdd("nl");
        using var refused = await reader.Http.SendAsync(refusedRequest);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Downloaden niet toegestaan", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredMessage_Gives410NamingTheSender_AndNothingElse()
    {
        var message = await IngestSampleAsync(_host, PolicySample, "?expiresInDays=3");
        using var reader = await SignInAsync(message);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader.Http, $"/messages/{message.Id}")).Status);

        await DbAsync(_host, db => db.Messages.Where(m => m.Id == message.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1))));

        var (status, page, response) = await GetAsync(reader.Http, $"/messages/{message.Id}");
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Contains("This message has expired", page, StringComparison.Ordinal);
        Assert.Contains("polis@contoso.test", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<iframe", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Polisblad", WebUtility.HtmlDecode(page), StringComparison.Ordinal);
        AssertNoStore(response);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(reader.Http, $"/messages/{message.Id}/body")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync(reader.Http, $"/messages/{message.Id}/attachments/1")).Status);

        var (_, inbox, _) = await GetAsync(reader.Http, "/inbox");
        Assert.Contains("data-state=\"Expired\"", inbox, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"/messages/{message.Id}\"", inbox, StringComparison.Ordinal);
    }

    private const string PolicySubjectText = "wijziging per 1 januari 2026";

    [Fact]
    public async Task MessagePage_AndInbox_ReadTheSummarySealedInTheRow_NotTheRenderBlob()
    {
        var message = await IngestSampleAsync(_host, PolicySample);
        var (sealedSummary, renderBlob) = await DbAsync(_host, db => db.Messages.Where(m => m.Id == message.Id)
            .Select(m => new ValueTuple<byte[]?, string>(m.SealedSummary, m.RenderBlob)).SingleAsync());
        Assert.NotNull(sealedSummary);
        Assert.DoesNotContain(PolicySubjectText, Utf8(sealedSummary), StringComparison.Ordinal);
        Assert.DoesNotContain(PolicyPdf, Utf8(sealedSummary), StringComparison.Ordinal);
        using var reader = await SignInAsync(message, PolicyRecipient);

        // Without its render blob the message still shows its headers and attachments; only the body frame needs the blob.
        var blobPath = Path.Combine(_host.BlobDirectory, renderBlob);
        File.Move(blobPath, blobPath + ".away");
        try
        {
            var (status, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains(PolicySubjectText, page, StringComparison.Ordinal);
            AttachmentIndex(page, message.Id, PolicyPdf);
            Assert.Contains(PolicySubjectText, (await GetAsync(reader.Http, "/inbox")).Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(reader.Http, $"/messages/{message.Id}/body")).Status);
        }
        finally
        {
            File.Move(blobPath + ".away", blobPath);
        }

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader.Http, $"/messages/{message.Id}/body")).Status);
    }

    [Fact]
    public async Task MessageStoredWithoutARowSummary_IsReadFromItsRenderBlob()
    {
        var message = await IngestSampleAsync(_host, PolicySample);
        await DbAsync(_host, db => db.Messages.Where(m => m.Id == message.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.SealedSummary, (byte[]?)null)));
        using var reader = await SignInAsync(message, PolicyRecipient);

        var (status, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(PolicySubjectText, page, StringComparison.Ordinal);
        AttachmentIndex(page, message.Id, PolicyPdf);
        Assert.Contains(PolicySubjectText, (await GetAsync(reader.Http, "/inbox")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RowSummary_CopiedFromAnotherMessage_FailsAuthentication_AndShowsNeitherMessage()
    {
        // Same tenant, same recipient: only the binding of the summary to its message tells them apart.
        var other = await IngestAsync(_host, SimpleMessage(PolicyRecipient, "other-subject-marker", html: "<p>other</p>"));
        var message = await IngestSampleAsync(_host, PolicySample);
        var foreign = await DbAsync(_host, db => db.Messages.Where(m => m.Id == other.Id).Select(m => m.SealedSummary).SingleAsync());
        await DbAsync(_host, db => db.Messages.Where(m => m.Id == message.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.SealedSummary, foreign)));
        using var reader = await SignInAsync(message, PolicyRecipient);

        var (status, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.DoesNotContain("other-subject-marker", page, StringComparison.Ordinal);
        Assert.DoesNotContain(PolicySubjectText, page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader.Http, $"/messages/{other.Id}")).Status);
    }

    [Fact]
    public async Task StaleRenderModel_IsRebuiltOnFirstRead_UnderTheCurrentPolicy()
    {
        const string Html = "<style>div.b { border-image: url(https://evil.test/b.png) 30 } p { color: blue }</style><div class=\"b\">x</div><p>fresh-marker</p>";
        var message = await IngestAsync(_host, SimpleMessage("stale@example.nl", "Stale render model", html: Html));

        // What an older sanitiser could have stored: its policy version and the url() it let through.
        var stale = new RenderModel
        {
            PolicyVersion = EmailHtmlSanitizer.PolicyVersion - 1,
            Subject = "Stale render model",
            From = [new RenderAddress("Sender", "sender@contoso.test")],
            To = [new RenderAddress(null, "stale@example.nl")],
            HtmlBody = "<style>div.b { border-image: url(\"https://evil.test/b.png\") 30 }</style><p>stale-marker</p>",
        };
        string staleBlob;
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await db.Messages.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.RenderPolicyVersion, 0));
            var record = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == message.Id);
            Assert.True(await scope.ServiceProvider.GetRequiredService<MessageVault>().ReplaceRenderModelAsync(db, record, stale, CancellationToken.None));
            staleBlob = await db.Messages.Where(m => m.Id == message.Id).Select(m => m.RenderBlob).SingleAsync();
        }

        using var reader = await SignInAsync(message);
        var (status, frame, _) = await GetAsync(reader.Http, $"/messages/{message.Id}/body");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("fresh-marker", frame, StringComparison.Ordinal);
        Assert.DoesNotContain("stale-marker", frame, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.test", frame, StringComparison.Ordinal);
        var (version, blob) = await DbAsync(_host, db => db.Messages.Where(m => m.Id == message.Id)
            .Select(m => new ValueTuple<int, string>(m.RenderPolicyVersion, m.RenderBlob)).SingleAsync());
        Assert.Equal(EmailHtmlSanitizer.PolicyVersion, version);
        Assert.NotEqual(staleBlob, blob);
        Assert.False(File.Exists(Path.Combine(_host.BlobDirectory, staleBlob)), "the stale render model is removed");

        // The summary in the row was rebuilt with it: the page reads the current policy's summary, not the stale one.
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var record = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == message.Id);
            var plaintext = await scope.ServiceProvider.GetRequiredService<MessageVault>().OpenSummaryAsync(db, record, CancellationToken.None);
            Assert.Equal(EmailHtmlSanitizer.PolicyVersion, RenderModelSerializer.DeserializeSummary(plaintext!).PolicyVersion);
        }

        // Once rebuilt, later reads use the stored model as it is.
        Assert.Contains("fresh-marker", (await GetAsync(reader.Http, $"/messages/{message.Id}/body")).Body, StringComparison.Ordinal);
        Assert.Equal(blob, await DbAsync(_host, db => db.Messages.Where(m => m.Id == message.Id).Select(m => m.RenderBlob).SingleAsync()));
    }

    [Fact]
    public async Task RevokedRecipient_AndShreddedMessage_Give410()
    {
        var revoked = await IngestAsync(_host, SimpleMessage("revoked@example.nl", "To be revoked", html: "<p>one</p>"));
        var shredded = await IngestAsync(_host, SimpleMessage("revoked@example.nl", "To be shredded", html: "<p>two</p>"));
        using var reader = await SignInAsync(revoked);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader.Http, $"/messages/{shredded.Id}")).Status);

        await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == revoked.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<MessageVault>()
                .ShredAsync(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>(), shredded.Id, CancellationToken.None);
        }

        Assert.Null(await DbAsync(_host, db => db.Messages.Where(m => m.Id == shredded.Id).Select(m => m.SealedSummary).SingleAsync()));
        foreach (var id in new[] { revoked.Id, shredded.Id })
        {
            var (status, page, _) = await GetAsync(reader.Http, $"/messages/{id}");
            Assert.Equal(HttpStatusCode.Gone, status);
            Assert.Contains("This message has been withdrawn", page, StringComparison.Ordinal);
            Assert.Contains("sender@contoso.test", page, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(reader.Http, $"/messages/{id}/body")).Status);
        }

        var (_, inbox, _) = await GetAsync(reader.Http, "/inbox");
        Assert.Equal(2, new HtmlPage(inbox).FindAll("[data-state='Revoked']").Count);
    }

    [Fact]
    public async Task Inbox_ListsOnlyTheReadersMessages_NewestFirst_WithReadState()
    {
        const string reader = "inbox-reader@example.nl";
        var subjects = Enumerable.Range(1, 3).Select(i => $"Inbox subject {i} {Guid.NewGuid():N}").ToList();
        var ids = new List<Guid>();
        foreach (var subject in subjects)
        {
            ids.Add((await IngestAsync(_host, SimpleMessage(reader, subject, html: "<p>x</p>"))).Id);
        }

        var otherSubject = $"Someone else's {Guid.NewGuid():N}";
        await IngestAsync(_host, SimpleMessage("someone-else@example.nl", otherSubject, html: "<p>y</p>"));
        var first = await IngestAsync(_host, SimpleMessage(reader, "Newest " + Guid.NewGuid().ToString("N"), html: "<p>z</p>"));
        ids.Add(first.Id);
        using var client = await SignInAsync(first);

        var (status, inbox, response) = await GetAsync(client.Http, "/inbox");
        Assert.Equal(HttpStatusCode.OK, status);
        AssertNoStore(response);
        Assert.DoesNotContain(otherSubject, inbox, StringComparison.Ordinal);
        var listed = new HtmlPage(inbox).FindAll("[data-message]").Select(e => Guid.Parse(e.GetAttribute("data-message")!)).ToList();
        Assert.Equal(Enumerable.Reverse(ids), listed);
        Assert.All(subjects, s => Assert.Contains(s, inbox, StringComparison.Ordinal));
        Assert.Equal(4, new HtmlPage(inbox).FindAll("[data-read='false']").Count);

        // Reading one marks it read, once.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client.Http, $"/messages/{ids[1]}")).Status);
        var viewedAt = await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == ids[1]).Select(r => r.FirstViewedAt).SingleAsync());
        Assert.NotNull(viewedAt);
        await GetAsync(client.Http, $"/messages/{ids[1]}");
        Assert.Equal(viewedAt, await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == ids[1]).Select(r => r.FirstViewedAt).SingleAsync()));

        var (_, after, _) = await GetAsync(client.Http, "/inbox");
        Assert.Equal("true", new HtmlPage(after).Find($"[data-message='{ids[1]}']")?.GetAttribute("data-read"));
        Assert.Equal(3, new HtmlPage(after).FindAll("[data-read='false']").Count);
        Assert.Contains("Unread", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inbox_PagesByTwentyFive()
    {
        const string reader = "pages@example.nl";
        Ingested last = null!;
        for (var i = 0; i < 27; i++)
        {
            last = await IngestAsync(_host, SimpleMessage(reader, $"Paged {i:D2}", text: "x"));
        }

        using var client = await SignInAsync(last);
        var (_, page1, _) = await GetAsync(client.Http, "/inbox");
        var (_, page2, _) = await GetAsync(client.Http, "/inbox?page=2");
        Assert.Equal(25, new HtmlPage(page1).FindAll("[data-message]").Count);
        Assert.Equal(2, new HtmlPage(page2).FindAll("[data-message]").Count);
        Assert.Contains("Paged 26", page1, StringComparison.Ordinal);
        Assert.Contains("Paged 00", page2, StringComparison.Ordinal);
        Assert.Contains("href=\"/inbox?page=2\"", page1, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Thread_ListsTheConversationTheReaderMayOpen_OldestFirst()
    {
        const string reader = "thread-reader@example.nl";
        var original = await IngestAsync(_host, SimpleMessage(reader, "Thread start", html: "<p>start</p>"));
        var tenant = await DbAsync(_host, db => db.Tenants.Select(t => t.Id).SingleAsync());

        async Task<Guid> ReplyAsync(string to, string subject)
        {
            await using var scope = _host.Services.CreateAsyncScope();
            using var mime = new MemoryStream(SimpleMessage(to, subject, text: "reply"));
            var result = await scope.ServiceProvider.GetRequiredService<MessageIngestor>().IngestAsync(
                new IngestRequest(tenant, mime, IngestSource.Reply, ConversationId: original.Id, InReplyToMessageId: original.Id),
                CancellationToken.None);
            return Assert.IsType<IngestResult.Accepted>(result).MessageId;
        }

        var reply = await ReplyAsync(reader, "Re: Thread start");
        await ReplyAsync("not-the-reader@example.nl", "Re: Thread start (elsewhere)");
        using var client = await SignInAsync(original);

        var (_, page, _) = await GetAsync(client.Http, $"/messages/{reply}");
        var thread = new MessagePage(new HtmlPage(page)).Find("ol.thread-list");
        Assert.NotNull(thread);
        var items = thread.InnerHtml;
        Assert.Contains(thread.QuerySelectorAll("a"), a => a.GetAttribute("href") == $"/messages/{original.Id}");
        Assert.NotNull(thread.QuerySelector("[aria-current='page']"));
        Assert.True(items.IndexOf("Thread start", StringComparison.Ordinal) < items.IndexOf("Re: Thread start", StringComparison.Ordinal));
        Assert.DoesNotContain("elsewhere", items, StringComparison.Ordinal);
    }
}

public sealed class ReadingSqliteTests : ReadingTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class ReadingPostgresTests : ReadingTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
