using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Reading;

/// <summary>
/// "Download all" (issue 20, item 8): one zip of every attachment listed as a file, decoded, safely named,
/// under the same access decision as a single download, refused for Do-Not-Forward and for anyone but a
/// recipient, and audited as downloads. Also the attachment kinds as words and the plural of the image notice.
/// </summary>
public abstract class AttachmentsZipTests : IAsyncLifetime
{
    private const string Recipient = "lotte.bakker@example.nl";

    private static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% first report\n" + new string('x', 5000) + "\n%%EOF\n");
    private static readonly byte[] SecondPdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% second report, same name in another case\n%%EOF\n");
    private static readonly byte[] Notes = Encoding.UTF8.GetBytes("Notities – één regel\r\nTwee\r\n");
    private static readonly byte[] Sheet = [0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8];

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Four attachments: two PDFs whose names differ only in case, a text file whose name tries to climb out of the folder, a workbook.</summary>
    private static byte[] MessageWithFiles(string to)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@contoso.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "Files " + Guid.NewGuid().ToString("N")[..8];
        var body = new BodyBuilder { HtmlBody = "<p>See the files.</p>" };
        body.Attachments.Add("Report.pdf", Pdf, new ContentType("application", "pdf"));
        body.Attachments.Add("report.PDF", SecondPdf, new ContentType("application", "pdf"));
        body.Attachments.Add("../../etc/notes.txt", Notes, new ContentType("text", "plain") { Charset = "utf-8" });
        body.Attachments.Add("Budget.xlsx", Sheet, new ContentType("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        message.Body = body.ToMessageBody();
        return TestMessages.ToBytes(message);
    }

    private static async Task<Dictionary<string, byte[]>> UnzipAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            files.Add(entry.FullName, buffer.ToArray());
        }

        return files;
    }

    private Task<List<AuditEvent>> DownloadsAsync(Guid id) =>
        _host.DbAsync(db => db.AuditEvents.Where(e => e.MessageId == id && e.Kind == AuditEventKind.AttachmentDownloaded).ToListAsync());

    [Fact]
    public async Task DownloadAll_StreamsEveryFileDecoded_SafelyNamed_AndAuditsEach()
    {
        var message = await IngestAsync(_host, MessageWithFiles(Recipient), "?protection=EncryptOnly");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);

        // The page offers it, with the count, beside the four files.
        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
        var parsed = new MessagePage(new HtmlPage(page));
        var link = parsed.Find(".download-all a");
        Assert.NotNull(link);
        Assert.Equal($"/messages/{message.Id}/attachments/all", link.GetAttribute("href"));
        Assert.Equal("Download all 4 files (zip)", link.TextContent.Trim());

        using var response = await reader.Http.GetAsync($"/messages/{message.Id}/attachments/all");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("attachments.zip", response.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

        var files = await UnzipAsync(response);
        Assert.Equal(["Report.pdf", "report (2).PDF", "notes.txt", "Budget.xlsx"], files.Keys);
        Assert.Equal(Pdf, files["Report.pdf"]);
        Assert.Equal(SecondPdf, files["report (2).PDF"]);
        Assert.Equal(Notes, files["notes.txt"]);
        Assert.Equal(Sheet, files["Budget.xlsx"]);
        Assert.All(files.Keys, name => Assert.DoesNotContain('/', name));

        // One download event per file, by the reader, naming the index and the zip.
        var events = await DownloadsAsync(message.Id);
        Assert.Equal(4, events.Count);
        Assert.All(events, e => Assert.Equal(Recipient, e.Actor));
        Assert.Equal(["0 zip", "1 zip", "2 zip", "3 zip"], events.Select(e => e.Detail).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DownloadAll_DoNotForward_IsRefusedOnTheServer_AndNotOffered()
    {
        var message = await IngestAsync(_host, MessageWithFiles(Recipient), "?protection=DoNotForward");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);

        var (_, page, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
        Assert.Null(new MessagePage(new HtmlPage(page)).Find(".download-all"));
        Assert.DoesNotContain("/attachments/all", page, StringComparison.Ordinal);

        var (status, body, response) = await GetAsync(reader.Http, $"/messages/{message.Id}/attachments/all");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("data-unavailable=\"DownloadRefused\"", body, StringComparison.Ordinal);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.NotEqual("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await DownloadsAsync(message.Id));
    }

    [Fact]
    public async Task DownloadAll_Stranger_AndNobody_AreRefused()
    {
        var message = await IngestAsync(_host, MessageWithFiles(Recipient), "?protection=EncryptOnly");
        var theirs = await IngestAsync(_host, MessageWithFiles("stranger@example.nl"), "?protection=EncryptOnly");
        using var stranger = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, theirs.Link);

        // The stranger is signed in and may zip their own message: the refusal is about whose message it is.
        using (var own = await stranger.Http.GetAsync($"/messages/{theirs.Id}/attachments/all"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        var (status, body, response) = await GetAsync(stranger.Http, $"/messages/{message.Id}/attachments/all");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.DoesNotContain("%PDF", body, StringComparison.Ordinal);

        // Nobody signed in: sent to sign in, nothing served.
        using var anonymous = _host.CreateHttpClient();
        using var anonymousResponse = await anonymous.GetAsync($"/messages/{message.Id}/attachments/all");
        Assert.Equal(HttpStatusCode.Redirect, anonymousResponse.StatusCode);
        Assert.StartsWith("/signin?returnUrl=", anonymousResponse.Headers.Location?.OriginalString, StringComparison.Ordinal);

        // An unknown message is the same "not found" as someone else's.
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(stranger.Http, $"/messages/{Guid.NewGuid()}/attachments/all")).Status);
        Assert.Empty(await DownloadsAsync(message.Id));
    }

    [Fact]
    public async Task Attachments_AreNamedByKind_InBothLanguages()
    {
        var message = await IngestAsync(_host, MessageWithFiles(Recipient), "?protection=EncryptOnly");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);

        var (_, english, _) = await GetAsync(reader.Http, $"/messages/{message.Id}");
        var meta = new HtmlPage(english).FindAll(".attachment-list .attachment-meta").Select(e => e.TextContent.Split('·')[0].Trim()).ToList();
        Assert.Equal(["PDF document", "PDF document", "Text file", "Spreadsheet"], meta);
        Assert.Equal(4, new HtmlPage(english).FindAll(".attachment-list svg.file-icon[aria-hidden='true']").Count);
        Assert.DoesNotContain("application/pdf", english, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/messages/{message.Id}");
        request.Headers.AcceptLanguage.ParseAdd("nl");
        using var response = await reader.Http.SendAsync(request);
        var dutch = new HtmlPage(await response.Content.ReadAsStringAsync());
        Assert.Equal(["PDF-document", "PDF-document", "Tekstbestand", "Spreadsheet"], dutch.FindAll(".attachment-list .attachment-meta").Select(e => e.TextContent.Split('·')[0].Trim()));
        Assert.Equal("Alle 4 bestanden downloaden (zip)", dutch.Find(".download-all a")!.TextContent.Trim());
    }

    [Theory]
    [InlineData(1, "en", "To protect your privacy, 1 image from the internet was not loaded.")]
    [InlineData(2, "en", "To protect your privacy, 2 images from the internet were not loaded.")]
    [InlineData(1, "nl", "Om uw privacy te beschermen is 1 afbeelding van internet niet geladen.")]
    [InlineData(3, "nl", "Om uw privacy te beschermen zijn 3 afbeeldingen van internet niet geladen.")]
    public async Task BlockedImages_AreCountedInProperPlurals(int images, string language, string expected)
    {
        var html = string.Concat(Enumerable.Range(0, images).Select(i => $"<p><img src=\"https://images.example.com/{i}.png\" alt=\"\"></p>"));
        var message = await IngestAsync(_host, SimpleMessage(Recipient, "Images " + Guid.NewGuid().ToString("N")[..8], html));
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/messages/{message.Id}");
        request.Headers.AcceptLanguage.ParseAdd(language);
        using var response = await reader.Http.SendAsync(request);
        var page = new HtmlPage(await response.Content.ReadAsStringAsync());
        Assert.Equal(expected, page.Find(".images-note p")!.TextContent.Trim());
    }
}

public sealed class AttachmentsZipSqliteTests : AttachmentsZipTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AttachmentsZipPostgresTests : AttachmentsZipTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

public sealed class AttachmentsZipPostgresAzureBlobTests : AttachmentsZipTests
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}

public sealed class ZipEntryNamesTests
{
    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("C:\\Windows\\evil.exe", "evil.exe")]
    [InlineData("/absolute.txt", "absolute.txt")]
    [InlineData("..", "attachment-1")]
    [InlineData("", "attachment-1")]
    [InlineData("  .hidden  ", "hidden")]
    [InlineData("a:b*c?.txt", "a_b_c_.txt")]
    [InlineData("tab\there\u0000.pdf", "tab_here_.pdf")]
    [InlineData("Polisblad 2026 – De Vries.pdf", "Polisblad 2026 – De Vries.pdf")]
    public void For_KeepsOnlyASafeLastSegment(string original, string expected) =>
        Assert.Equal(expected, Assert.Single(OmePortal.Web.Reading.ZipEntryNames.For([original])));

    [Fact]
    public void For_NumbersNamesThatWouldCollide_IgnoringCase()
    {
        Assert.Equal(
            ["a.pdf", "A (2).PDF", "a (3).pdf", "b", "attachment-5", "attachment-6"],
            OmePortal.Web.Reading.ZipEntryNames.For(["a.pdf", "A.PDF", "sub/a.pdf", "b", "", "/"]));
    }

    [Fact]
    public void For_ShortensLongNames_KeepingTheExtension_AndWholeCharacters()
    {
        var name = Assert.Single(OmePortal.Web.Reading.ZipEntryNames.For([new string('x', 114) + "😀😀😀.docx"]));
        Assert.EndsWith(".docx", name, StringComparison.Ordinal);
        Assert.True(name.Length <= 120, name);
        Assert.False(char.IsHighSurrogate(name[^6]), "A surrogate pair was cut in half.");
    }
}

public sealed class AttachmentKindsTests
{
    [Theory]
    [InlineData("application/pdf", "x", "Pdf")]
    [InlineData("application/octet-stream", "Offerte.PDF", "Pdf")]
    [InlineData("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a", "Word")]
    [InlineData("application/octet-stream", "plan.docx", "Word")]
    [InlineData("application/vnd.ms-excel", "a", "Spreadsheet")]
    [InlineData("image/jpeg", "a", "Image")]
    [InlineData("text/plain", "a", "Text")]
    [InlineData("text/html", "page.html", "File")]
    [InlineData("application/zip", "a", "Archive")]
    [InlineData("text/calendar", "a", "Calendar")]
    [InlineData("message/rfc822", "a", "Email")]
    [InlineData("application/octet-stream", "mystery", "File")]
    public void Of_NamesTheKind_ByTypeThenByExtension(string type, string fileName, string expected)
    {
        var entry = new OmePortal.Core.Mime.AttachmentEntry(0, fileName, type, 1, null, false, 0, 1, "base64");
        Assert.Equal(expected, OmePortal.Web.Reading.AttachmentKinds.Of(entry).ToString());
    }
}
