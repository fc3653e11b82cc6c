using System.Net;
using MimeKit;
using MimeKit.Utils;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Tests.Admin.Branding;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Reading;

/// <summary>
/// What the inline-image path serves, over HTTP with a real message: only images the body shows. Never an image
/// whose Content-ID nothing references; and under Do-Not-Forward never a part marked
/// <c>Content-Disposition: attachment</c>, even when the HTML points at it (it would hand out a file whose
/// download is refused). Under Encrypt-only such a part is shown, as mail programs show it.
/// </summary>
public abstract class InlineImageDispositionTests : IAsyncLifetime
{
    private const string Reader = "lezer@example.nl";
    private const string ScanName = "scan.png";
    private const string SpareName = "spare.png";

    // Document order of the parts below, as the render model indexes them.
    private const int InlineIndex = 0;
    private const int UnreferencedIndex = 1;
    private const int AttachedIndex = 2;

    private static readonly byte[] InlinePng = LogoImages.Png(10, 10);
    private static readonly byte[] UnreferencedPng = LogoImages.Png(12, 12);
    private static readonly byte[] AttachedPng = LogoImages.Png(14, 14);

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>
    /// multipart/mixed: a related part (HTML showing cid:inline and cid:attached, the inline image, an image with a
    /// Content-ID nobody references), then an image marked <c>Content-Disposition: attachment</c> with Content-ID
    /// attached, which the HTML also references.
    /// </summary>
    private static byte[] MessageWithAnAttachedImageItsBodyPointsAt()
    {
        var html = new TextPart("html") { Text = "<p>Scan below.</p><img src=\"cid:inline@contoso.test\" alt=\"logo\"><img src=\"cid:attached@contoso.test\" alt=\"scan\">" };
        var related = new MultipartRelated { html, Image(InlinePng, "inline@contoso.test", ContentDisposition.Inline, "logo.png") };
        related.Add(Image(UnreferencedPng, "unreferenced@contoso.test", ContentDisposition.Inline, SpareName));
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@contoso.test"));
        message.To.Add(MailboxAddress.Parse(Reader));
        message.Subject = "Scan attached";
        message.MessageId = MimeUtils.GenerateMessageId("contoso.test");
        message.Body = new Multipart("mixed") { related, Image(AttachedPng, "attached@contoso.test", ContentDisposition.Attachment, ScanName) };
        return TestMessages.ToBytes(message);
    }

    private static MimePart Image(byte[] png, string contentId, string disposition, string fileName) => new("image", "png")
    {
        Content = new MimeContent(new MemoryStream(png)),
        ContentId = contentId,
        ContentDisposition = new ContentDisposition(disposition) { FileName = fileName },
        ContentTransferEncoding = ContentEncoding.Base64,
    };

    /// <summary>Ingests the message, signs in, and answers the inline URLs of its body frame (each checked to serve <paramref name="expected"/>).</summary>
    private async Task<(Ingested Message, RecipientBrowserlessClient Reader, string Ticket)> ReadAsync(string protection, params (int Index, byte[] Bytes)[] expected)
    {
        var message = await IngestAsync(_host, MessageWithAnAttachedImageItsBodyPointsAt(), "?protection=" + protection);
        var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var (status, frame, _) = await GetAsync(reader.Http, $"/messages/{message.Id}/body");
        Assert.Equal(HttpStatusCode.OK, status);

        // A reference to an image that is not shown is dropped, never left as cid: for the browser.
        Assert.DoesNotContain("cid:", frame, StringComparison.OrdinalIgnoreCase);
        var shown = InlineUrls(frame, message.Id);
        Assert.Equal(expected.Select(e => e.Index), shown.Select(url => int.Parse(url.Split('?')[0].Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture)));
        using var cookieless = _host.CreateHttpClient();
        foreach (var (url, (_, bytes)) in shown.Zip(expected))
        {
            using var image = await cookieless.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal(bytes, await image.Content.ReadAsByteArrayAsync());
        }

        return (message, reader, shown[0].Split("?t=")[1]);
    }

    /// <summary>Neither with the session nor with the frame's ticket does the inline path serve <paramref name="index"/>.</summary>
    private async Task AssertNotInlineAsync(RecipientBrowserlessClient reader, Guid id, string ticket, int index)
    {
        using var viaSession = await reader.Http.GetAsync($"/messages/{id}/inline/{index}");
        Assert.Equal(HttpStatusCode.NotFound, viaSession.StatusCode);
        using var cookieless = _host.CreateHttpClient();
        using var viaTicket = await cookieless.GetAsync($"/messages/{id}/inline/{index}?t={ticket}");
        Assert.Equal(HttpStatusCode.NotFound, viaTicket.StatusCode);
        Assert.NotEqual("image/png", viaTicket.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DoNotForward_AttachedImageTheBodyPointsAt_IsNotServedInline_NorDownloaded()
    {
        var (message, reader, ticket) = await ReadAsync("DoNotForward", (InlineIndex, InlinePng));
        using (reader)
        {
            await AssertNotInlineAsync(reader, message.Id, ticket, AttachedIndex);
            await AssertNotInlineAsync(reader, message.Id, ticket, UnreferencedIndex);

            // It is an attachment: listed without a download link, and its download refused.
            var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
            var listed = new MessagePage(new HtmlPage(page)).Attachments;
            Assert.Equal([ScanName, SpareName], listed.Select(a => a.FileName).Order(StringComparer.Ordinal));
            Assert.All(listed, a => Assert.Null(a.Href));
            var (download, body, _) = await GetAsync(reader.Http, $"/messages/{message.Id}/attachments/{AttachedIndex}");
            Assert.Equal(HttpStatusCode.Forbidden, download);
            Assert.DoesNotContain("PNG", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EncryptOnly_AttachedImageTheBodyPointsAt_IsShown_UnreferencedImageIsOnlyADownload()
    {
        var (message, reader, ticket) = await ReadAsync("EncryptOnly", (InlineIndex, InlinePng), (AttachedIndex, AttachedPng));
        using (reader)
        {
            await AssertNotInlineAsync(reader, message.Id, ticket, UnreferencedIndex);

            // The image nothing shows is a file: listed with its link, fetched through the attachment path with its disposition.
            var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
            var listed = new MessagePage(new HtmlPage(page)).Attachments;
            Assert.Equal(SpareName, Assert.Single(listed).FileName);
            using var download = await reader.Http.GetAsync($"/messages/{message.Id}/attachments/{AttachmentIndex(page, message.Id, SpareName)}");
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Equal(UnreferencedPng, await download.Content.ReadAsByteArrayAsync());
        }
    }
}

public sealed class InlineImageDispositionSqliteTests : InlineImageDispositionTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class InlineImageDispositionPostgresTests : InlineImageDispositionTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
