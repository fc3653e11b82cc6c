using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Admin.Keys;
using OmePortal.Web.Previews;
using SkiaSharp;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Previews;

/// <summary>
/// The attachment viewer over real HTTP, with recipients signed in through the real passcode flow and the
/// real converters: its pages and page images answer only the message's own recipients (never a stranger of
/// the same or another tenant, never anyone without a session), are never cached, and under Do-Not-Forward
/// carry each reader's own watermark and offer nothing to download. The tests share one portal per class:
/// each uses its own addresses and messages (the tenant setting test puts it back).
/// </summary>
public abstract class ViewerTests(SharedPortalHost shared)
{
    private const string PdfName = "Quote 2027.pdf";
    private const string PngName = "floor-plan.png";
    private const string TextName = "notes.txt";
    private const string ZipName = "archive.zip";
    private const string PdfMarker = "Viewermarker";
    private const string TextContent = "Line one <script>alert('x')</script> & \"more\"\nLine two";

    private readonly PortalHost _host = shared.Host;

    public abstract class Host : SharedPortalHost
    {
        protected override IDictionary<string, string?>? Settings => OmePortal.Web.Tests.Reading.ReadingTestSupport.Settings;
    }

    public sealed class SqliteHost : Host
    {
        protected override StorageKind Storage => StorageKind.Sqlite;
    }

    public sealed class PostgresHost : Host
    {
        protected override StorageKind Storage => StorageKind.Postgres;
    }

    [Fact]
    public async Task Preview_OwnReader_SeesPagesTextLayerAndDownload()
    {
        var reader = Address("reader");
        var message = await _host.IngestAsync(Mail([reader], Pdf(), Text(), Zip()));
        using var client = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);

        var messagePage = await client.GetPageAsync($"/messages/{message.Id}");
        var links = PreviewPage.LinksOn(messagePage);
        Assert.Equal([PdfName, TextName], links.Keys.Order(StringComparer.Ordinal).ToArray());

        var pdf = new PreviewPage(await client.GetPageAsync(links[PdfName]));
        Assert.Equal(HttpStatusCode.OK, pdf.Status);
        Assert.Equal("ready", pdf.State);
        Assert.Null(pdf.DoNotForwardNotice);
        Assert.False(pdf.HasWatermarkLayer);
        Assert.Equal(links[PdfName][..links[PdfName].LastIndexOf("/preview", StringComparison.Ordinal)], pdf.DownloadHref);
        Assert.Collection(
            pdf.Pages,
            first =>
            {
                Assert.Equal("eager", first.Loading);
                Assert.Contains($"{PdfMarker} 1", first.Text, StringComparison.Ordinal);
            },
            second =>
            {
                Assert.Equal("lazy", second.Loading);
                Assert.Contains($"{PdfMarker} 2", second.Text, StringComparison.Ordinal);
            });
        Assert.All(pdf.Pages, p => Assert.True(p.Width > 0 && p.Height > p.Width, $"{p.Width}×{p.Height}"));

        // Each page image: a PNG of the stored rendering, exactly (no watermark outside Do-Not-Forward), never cached.
        var index = IndexOf(links[PdfName]);
        foreach (var page in pdf.Pages)
        {
            using var response = await client.Http.GetAsync(page.Source);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            AssertNoStore(response);
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(await StoredPageAsync(message.Id, index, page.Number), body);
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        }

        // Seeing a preview is seeing the content: audited like a download, with the attachment's index.
        var previewed = await _host.DbAsync(db => db.AuditEvents
            .Where(e => e.MessageId == message.Id && e.Kind == AuditEventKind.AttachmentPreviewed)
            .Select(e => e.Detail).ToListAsync());
        Assert.Contains(index.ToString(System.Globalization.CultureInfo.InvariantCulture), previewed);

        foreach (var missing in new[] { 0, 3, 999 })
        {
            using var response = await client.Http.GetAsync($"/messages/{message.Id}/attachments/{index}/preview/pages/{missing}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        // A text file is its text, escaped: the markup in it is text on the page, not markup of the page.
        var text = new PreviewPage(await client.GetPageAsync(links[TextName]));
        Assert.Equal("ready", text.State);
        Assert.Equal(TextContent, text.FileText);
        Assert.DoesNotContain("<script>alert", text.Html, StringComparison.Ordinal);
        Assert.Empty(text.Pages);

        // A type the portal does not preview says so, and offers the download.
        var zipIndex = messagePage.FindAll(".attachment-list .attachment-name").Single(a => a.TextContent == ZipName).GetAttribute("href")!;
        var zip = new PreviewPage(await client.GetPageAsync(zipIndex + "/preview"));
        Assert.Equal(HttpStatusCode.OK, zip.Status);
        Assert.Equal("unavailable", zip.State);
        Assert.Equal("UnsupportedType", zip.UnavailableReason);
        Assert.Equal(zipIndex, zip.DownloadHref);

        // No such attachment: the message's "not found".
        var none = new PreviewPage(await client.GetPageAsync($"/messages/{message.Id}/attachments/99/preview"));
        Assert.Equal(HttpStatusCode.NotFound, none.Status);
        Assert.Equal("NotFound", none.Refusal);
    }

    [Fact]
    public async Task Strangers_AreRefusedThePreviewAndEveryPageImage()
    {
        var owner = Address("owner");
        var message = await _host.IngestAsync(Mail([owner], Pdf(), Png()));
        using var ownerClient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var links = PreviewPage.LinksOn(await ownerClient.GetPageAsync($"/messages/{message.Id}"));
        var paths = new List<string>();
        foreach (var link in links.Values)
        {
            var preview = new PreviewPage(await ownerClient.GetPageAsync(link));
            Assert.Equal("ready", preview.State);
            paths.Add(link);
            paths.AddRange(preview.Pages.Select(p => p.Source));
        }

        Assert.Equal(5, paths.Count); // two previews, two PDF pages, one image
        foreach (var path in paths)
        {
            using var response = await ownerClient.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A recipient of another message of the same tenant, and one of another tenant, both signed in.
        var sameTenant = await _host.IngestAsync(Mail([Address("neighbour")], Text()));
        using var neighbour = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, sameTenant.Link);
        var otherTenant = await IngestForOtherTenantAsync(Mail([Address("outsider")], Text()));
        using var outsider = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, otherTenant.Link);
        foreach (var stranger in new[] { neighbour, outsider })
        {
            foreach (var path in paths)
            {
                using var response = await stranger.Http.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path} answered {(int)response.StatusCode}");
                Assert.NotEqual("image/png", response.Content.Headers.ContentType?.MediaType);
                Assert.DoesNotContain(PdfName, WebUtility.HtmlDecode(body), StringComparison.Ordinal);
                Assert.DoesNotContain(owner, body, StringComparison.OrdinalIgnoreCase);
                AssertNoStore(response);
            }
        }

        // Nobody signed in: sign in first, nothing of the attachment.
        using var anonymous = _host.CreateHttpClient();
        foreach (var path in paths)
        {
            using var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{path} answered {(int)response.StatusCode}");
            Assert.StartsWith("/signin?returnUrl=", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task DoNotForward_PagesCarryEachReadersWatermark_AndNothingDownloads()
    {
        var (first, second) = (Address("first"), Address("second"));
        var message = await _host.IngestAsync(Mail([first, second], Png(), Pdf(), Zip()), PortalHost.IngestQuery("DoNotForward"));
        using var firstClient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.LinkFor(first));
        using var secondClient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.LinkFor(second));
        var messagePage = await firstClient.GetPageAsync($"/messages/{message.Id}");
        var links = PreviewPage.LinksOn(messagePage);

        var image = new PreviewPage(await firstClient.GetPageAsync(links[PngName]));
        Assert.Equal("ready", image.State);
        Assert.NotNull(image.DoNotForwardNotice);
        Assert.True(image.HasWatermarkLayer);
        Assert.Null(image.DownloadHref);
        var source = Assert.Single(image.Pages).Source;

        // Each reader's image is the stored rendering with that reader's mark drawn over it.
        var stored = Decode(await StoredPageAsync(message.Id, IndexOf(links[PngName]), 1));
        var firstBytes = await PageBytesAsync(firstClient, source);
        var secondBytes = await PageBytesAsync(secondClient, source);
        var firstImage = Decode(firstBytes);
        var secondImage = Decode(secondBytes);
        Assert.Equal((stored.Width, stored.Height), (firstImage.Width, firstImage.Height));
        Assert.True(DifferingShare(stored, firstImage) > 0.02, "the first reader's image hardly differs from the stored one");
        Assert.True(DifferingShare(stored, secondImage) > 0.02, "the second reader's image hardly differs from the stored one");
        Assert.True(DifferingShare(firstImage, secondImage) > 0.005, "both readers got the same watermark");

        // The PDF: watermarked pages too, and no text layer unless the tenant's admin chose one.
        var pdf = new PreviewPage(await firstClient.GetPageAsync(links[PdfName]));
        Assert.Equal(2, pdf.Pages.Count);
        Assert.All(pdf.Pages, p => Assert.Null(p.Text));
        Assert.DoesNotContain(PdfMarker, pdf.Html, StringComparison.Ordinal);
        var pdfPage = Decode(await PageBytesAsync(firstClient, pdf.Pages[0].Source));
        Assert.True(DifferingShare(Decode(await StoredPageAsync(message.Id, IndexOf(links[PdfName]), 1)), pdfPage) > 0.02);

        // Not previewable: said so, still without a download; and the download itself stays refused.
        var zipIndex = messagePage.FindAll(".attachment-list li").Single(li => li.TextContent.Contains(ZipName, StringComparison.Ordinal));
        Assert.Null(zipIndex.QuerySelector("a.attachment-preview"));
        for (var i = 0; i < 3; i++)
        {
            var unavailable = new PreviewPage(await firstClient.GetPageAsync($"/messages/{message.Id}/attachments/{i}/preview"));
            Assert.Null(unavailable.DownloadHref);
            using var download = await firstClient.Http.GetAsync($"/messages/{message.Id}/attachments/{i}");
            Assert.Equal(HttpStatusCode.Forbidden, download.StatusCode);
            Assert.Null(download.Content.Headers.ContentDisposition);
        }
    }

    [Fact]
    public async Task DoNotForwardTextLayer_IsTheTenantAdminsChoice()
    {
        var reader = Address("layer");
        var message = await _host.IngestAsync(Mail([reader], Pdf()), PortalHost.IngestQuery("DoNotForward"));
        using var client = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var link = Assert.Single(PreviewPage.LinksOn(await client.GetPageAsync($"/messages/{message.Id}"))).Value;
        Assert.All(new PreviewPage(await client.GetPageAsync(link)).Pages, p => Assert.Null(p.Text));

        using var admin = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());
        Assert.Equal("off", (await admin.GetPageAsync("/admin/rules")).Attribute("[data-preview-text]", "data-preview-text"));
        try
        {
            using (var on = await admin.PostFormAsync("/admin/rules", new Dictionary<string, string> { ["enabled"] = "true" }, handler: "PreviewText", tokenPage: "/admin/rules"))
            {
                Assert.Equal(HttpStatusCode.Redirect, on.StatusCode);
            }

            Assert.Equal("on", (await admin.GetPageAsync("/admin/rules")).Attribute("[data-preview-text]", "data-preview-text"));
            var withText = new PreviewPage(await client.GetPageAsync(link));
            Assert.Contains($"{PdfMarker} 1", withText.Pages[0].Text, StringComparison.Ordinal);
            Assert.NotNull(withText.DoNotForwardNotice);
            Assert.Null(withText.DownloadHref);

            using (var off = await admin.PostFormAsync("/admin/rules", new Dictionary<string, string> { ["enabled"] = "false" }, handler: "PreviewText", tokenPage: "/admin/rules"))
            {
                Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
            }

            Assert.All(new PreviewPage(await client.GetPageAsync(link)).Pages, p => Assert.Null(p.Text));
            Assert.Equal(2, await _host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.RuleChanged && e.Detail!.StartsWith("Do-Not-Forward preview text layer"))));
        }
        finally
        {
            await _host.DbAsync<int>(db => db.Tenants.ExecuteUpdateAsync(s => s.SetProperty(t => t.DoNotForwardPreviewText, false)));
        }
    }

    private static string Address(string who) => $"{who}.{Guid.NewGuid():N}"[..(who.Length + 9)] + "@example.nl";

    private static (string, string, byte[]) Pdf() => (PdfName, "application/pdf", TestDocuments.Pdf(2, i => $"{PdfMarker} {i}"));

    private static (string, string, byte[]) Text() => (TextName, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(TextContent));

    private static (string, string, byte[]) Zip() => (ZipName, "application/zip", Convert.FromHexString("504B0506" + new string('0', 36)));

    /// <summary>A light picture with a few shapes (the watermark has to show against something page-like).</summary>
    internal static (string, string, byte[]) Png()
    {
        using var bitmap = new SKBitmap(600, 400);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0xfa, 0xf9, 0xf8));
            using var paint = new SKPaint { Color = new SKColor(0x0f, 0x5c, 0xa8), IsAntialias = true };
            canvas.DrawRect(40, 40, 200, 120, paint);
            canvas.DrawCircle(420, 260, 90, paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return (PngName, "image/png", data.ToArray());
    }

    private static byte[] Mail(IReadOnlyList<string> to, params (string Name, string ContentType, byte[] Content)[] attachments)
    {
        using var first = MimeMessage.Load(new MemoryStream(TestDocuments.Message(to[0], attachments)));
        foreach (var address in to.Skip(1))
        {
            first.To.Add(MailboxAddress.Parse(address));
        }

        return TestMessages.ToBytes(first);
    }

    private static int IndexOf(string previewUrl)
    {
        var parts = previewUrl.Split('/');
        return int.Parse(parts[^2], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<byte[]> PageBytesAsync(RecipientBrowserlessClient client, string path)
    {
        using var response = await client.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        AssertNoStore(response);
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The page as the preview store holds it (decrypted), before any watermark.</summary>
    private Task<byte[]> StoredPageAsync(Guid messageId, int index, int page) => _host.InScopeAsync(async services =>
    {
        var record = await services.GetRequiredService<OmePortalDbContext>().Messages.AsNoTracking().SingleAsync(m => m.Id == messageId);
        await using var stream = await services.GetRequiredService<AttachmentPreviews>().OpenPageAsync(record, index, page, CancellationToken.None);
        Assert.NotNull(stream);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    });

    private static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new InvalidOperationException("Not an image.");

    /// <summary>The share of pixels that differ between two images of the same size.</summary>
    private static double DifferingShare(SKBitmap a, SKBitmap b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        var differing = 0;
        for (var y = 0; y < a.Height; y++)
        {
            for (var x = 0; x < a.Width; x++)
            {
                if (a.GetPixel(x, y) != b.GetPixel(x, y))
                {
                    differing++;
                }
            }
        }

        return (double)differing / (a.Width * a.Height);
    }

    private Task<string> DefaultSlugAsync() =>
        _host.DbAsync(db => db.Tenants.OrderBy(t => t.CreatedAt).Select(t => t.Slug).FirstAsync());

    /// <summary>Ingests through the REST API of a new tenant (its own API key, accepting the sample sender's domain).</summary>
    private async Task<IngestedMessage> IngestForOtherTenantAsync(byte[] mime)
    {
        var tenant = await AdminClient.CreateTenantAsync(_host, "viewer-" + Guid.NewGuid().ToString("N")[..8]);
        var key = await _host.InScopeAsync(async services =>
        {
            Assert.True(await services.GetRequiredService<OmePortal.Web.Rules.RuleStore>().SetDomainsAsync(tenant, ["contoso.test"], "test", CancellationToken.None));
            return (await services.GetRequiredService<KeyAdministration>().CreateApiKeyAsync(tenant, "test", "test", CancellationToken.None)).Key;
        });
        return await PortalIngest.IngestAsync(_host.BaseUrl, key, mime);
    }
}

public sealed class ViewerSqliteTests(ViewerTests.SqliteHost host) : ViewerTests(host), IClassFixture<ViewerTests.SqliteHost>;

public sealed class ViewerPostgresTests(ViewerTests.PostgresHost host) : ViewerTests(host), IClassFixture<ViewerTests.PostgresHost>;
