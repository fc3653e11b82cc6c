using System.Buffers.Binary;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Previews;
using OmePortal.Web.Revocation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static OmePortal.Web.Tests.Previews.PreviewTestSupport;

namespace OmePortal.Web.Tests.Previews;

/// <summary>
/// Previews made by the real converters (poppler, ImageSharp) in a real portal and stored in its real blob
/// store and database (issue 23, items 1 and 3): pages and text come back as rendered, are made once and then
/// read from ciphertext, are bound to their message, attachment and page, and go with the message when it is
/// shredded. The class shares one portal: every test ingests its own message.
/// </summary>
public abstract class AttachmentPreviewsTests(AttachmentPreviewsTests.Host shared)
{
    private readonly PortalHost _host = shared.Host;
    private readonly string _work = shared.WorkDirectory;

    public abstract class Host : SharedPortalHost
    {
        public string WorkDirectory { get; } = TestEnvironment.NewTempDirectory("omeportal-previews");

        protected override IDictionary<string, string?>? Settings => PreviewTestSupport.Settings(WorkDirectory, ("MaxTextCharsPerPage", "5000"));
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
    public async Task Pdf_FirstRequestRendersEveryPage_LaterRequestsReadTheStoredCiphertext()
    {
        var marker = TestMessages.NewMarker("PAGEMARK");
        var pdf = TestDocuments.Pdf(3, page => $"Page {page} {marker}");
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("report.pdf", "application/pdf", pdf)));

        var outcome = await PrepareAsync(_host, message.Id, 0);

        Assert.Equal(new PreviewOutcome.Ready(3, 3, PreviewKind.Pdf, HasText: true), outcome);
        var row = Assert.Single(await RowsAsync(_host, message.Id));
        for (var page = 1; page <= 3; page++)
        {
            var png = await PageAsync(_host, message.Id, 0, page);
            Assert.NotNull(png);
            var (width, height) = PngSize(png);
            Assert.True(Math.Max(width, height) <= 1600 && height > width, $"page {page} is {width}x{height}");
            Assert.Contains($"Page {page} {marker}", await TextAsync(_host, message.Id, 0, page), StringComparison.Ordinal);

            // Stored as ciphertext: neither the PNG nor the text is in the blob.
            var stored = await _host.ReadBlobAsync($"{row.BlobPrefix}-p{page}");
            Assert.True(stored.AsSpan().IndexOf(png.AsSpan(png.Length / 2, 32)) < 0, "the page is stored in plaintext");
        }

        Assert.True((await _host.ReadBlobAsync($"{row.BlobPrefix}-text")).AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) < 0);
        Assert.Null(await PageAsync(_host, message.Id, 0, 0));
        Assert.Null(await PageAsync(_host, message.Id, 0, 4));
        Assert.Null(await TextAsync(_host, message.Id, 0, 4));

        // A second request finds the stored preview: same row, no new conversion.
        Assert.Equal(outcome, await PrepareAsync(_host, message.Id, 0));
        Assert.Equal(row.Id, Assert.Single(await RowsAsync(_host, message.Id)).Id);

        // The private workspace is gone once the conversion ended.
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work));
    }

    [Fact]
    public async Task Pdf_RequestedByManyAtOnce_IsConvertedOnce()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("a.pdf", "application/pdf", TestDocuments.Pdf(2, p => $"Page {p}"))));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PrepareAsync(_host, message.Id, 0)));

        Assert.All(outcomes, o => Assert.Equal(new PreviewOutcome.Ready(2, 2, PreviewKind.Pdf, true), o));
        var row = Assert.Single(await RowsAsync(_host, message.Id));

        // Only that row's blobs exist: no loser of a race left pages behind.
        Assert.Equal(3, Directory.EnumerateFiles(Path.GetDirectoryName(Path.Combine(_host.BlobDirectory, row.BlobPrefix))!, $"{message.Id:N}.preview-*").Count());
    }

    [Fact]
    public async Task Image_IsDecodedAndEncodedAgain_WithoutMetadataOrAppendedBytes_AndScaledToTheCap()
    {
        var metadataMarker = TestMessages.NewMarker("METAMARK");
        var trailerMarker = TestMessages.NewMarker("TRAILERMARK");
        byte[] original;
        using (var image = new Image<Rgba32>(2400, 1200, new Rgba32(20, 90, 160)))
        using (var buffer = new MemoryStream())
        {
            image.Metadata.GetPngMetadata().TextData.Add(new PngTextData("Comment", metadataMarker, string.Empty, string.Empty));
            image.SaveAsPng(buffer);
            original = [.. buffer.ToArray(), .. Encoding.ASCII.GetBytes(trailerMarker)];
        }

        Assert.True(original.AsSpan().IndexOf(Encoding.ASCII.GetBytes(metadataMarker)) >= 0, "control: the marker is in the original");
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("photo.png", "image/png", original)));

        Assert.Equal(new PreviewOutcome.Ready(1, 1, PreviewKind.Image, false), await PrepareAsync(_host, message.Id, 0));

        var png = await PageAsync(_host, message.Id, 0, 1);
        Assert.NotNull(png);
        Assert.Equal((1600, 800), PngSize(png));
        Assert.True(png.AsSpan().IndexOf(Encoding.ASCII.GetBytes(metadataMarker)) < 0, "metadata survived");
        Assert.True(png.AsSpan().IndexOf(Encoding.ASCII.GetBytes(trailerMarker)) < 0, "appended bytes survived");
        Assert.Null(await TextAsync(_host, message.Id, 0, 1));
    }

    [Fact]
    public async Task Image_ClaimingMorePixelsThanTheCap_CannotBePreviewed_AndStaysThatWay()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("huge.png", "image/png", PngClaiming(60_000, 60_000))));

        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview), await PrepareAsync(_host, message.Id, 0));

        // Remembered: the next request does not decode it again.
        var row = Assert.Single(await RowsAsync(_host, message.Id));
        Assert.Equal(AttachmentPreviewStatus.Failed, row.Status);
        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview), await PrepareAsync(_host, message.Id, 0));
        Assert.Null(await PageAsync(_host, message.Id, 0, 1));
    }

    [Fact]
    public async Task Text_IsDecodedWithItsCharset_AndCappedAtTheConfiguredLength()
    {
        var latin1 = Encoding.Latin1.GetBytes("Één café <script>alert(1)</script>\n" + new string('x', 6000));
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("notes.txt", "text/plain; charset=iso-8859-1", latin1)));

        Assert.Equal(new PreviewOutcome.Ready(0, 1, PreviewKind.Text, true), await PrepareAsync(_host, message.Id, 0));

        var text = await TextAsync(_host, message.Id, 0, 1);
        Assert.NotNull(text);
        Assert.StartsWith("Één café <script>alert(1)</script>\n", text, StringComparison.Ordinal);
        Assert.Equal(5000, text.Length);
        Assert.Null(await PageAsync(_host, message.Id, 0, 1));
        Assert.Null(await TextAsync(_host, message.Id, 0, 2));
    }

    [Fact]
    public async Task UnknownTypeOrIndex_IsUnsupported_AndNothingIsStored()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient,
            ("archive.zip", "application/zip", [0x50, 0x4B, 0x03, 0x04, 9, 9, 9, 9]),
            ("fake.pdf", "application/pdf", Encoding.ASCII.GetBytes("this is no PDF, whatever the name says"))));

        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.UnsupportedType), await PrepareAsync(_host, message.Id, 0));
        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.UnsupportedType), await PrepareAsync(_host, message.Id, 1));
        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.UnsupportedType), await PrepareAsync(_host, message.Id, 7));
        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.UnsupportedType), await PrepareAsync(_host, message.Id, -1));
        Assert.Empty(await RowsAsync(_host, message.Id));
    }

    [Fact]
    public async Task Pages_AreOnlyReadThroughTheirOwnMessage_AndAMovedBlobIsRefused()
    {
        var mine = await _host.IngestAsync(TestDocuments.Message(Recipient, ("mine.pdf", "application/pdf", TestDocuments.Pdf(2, p => $"Mine {p}"))));
        var other = await _host.IngestAsync(TestDocuments.Message("someone.else@example.nl", ("other.pdf", "application/pdf", TestDocuments.Pdf(1, p => "Other"))));
        Assert.IsType<PreviewOutcome.Ready>(await PrepareAsync(_host, mine.Id, 0));

        // The other message has no preview of its own yet: asking with its row finds nothing of mine.
        Assert.Null(await PageAsync(_host, other.Id, 0, 1));
        Assert.Null(await TextAsync(_host, other.Id, 0, 1));

        // Page 2's ciphertext put where page 1 was: it decrypts (same message key, same purpose) but says it is page 2.
        var row = Assert.Single(await RowsAsync(_host, mine.Id));
        var second = await _host.ReadBlobAsync($"{row.BlobPrefix}-p2");
        await _host.DeleteBlobAsync($"{row.BlobPrefix}-p1");
        await _host.Blobs.WriteAsync($"{row.BlobPrefix}-p1", (destination, ct) => destination.WriteAsync(second, ct).AsTask(), CancellationToken.None);
        await Assert.ThrowsAsync<VaultIntegrityException>(() => PageAsync(_host, mine.Id, 0, 1));

        // Another message's row pointed at this message's blobs: its key does not open them.
        Assert.IsType<PreviewOutcome.Ready>(await PrepareAsync(_host, other.Id, 0));
        await _host.DbAsync(db => db.AttachmentPreviews.Where(p => p.MessageId == other.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.BlobPrefix, row.BlobPrefix)));
        await Assert.ThrowsAsync<VaultIntegrityException>(() => PageAsync(_host, other.Id, 0, 1));
    }

    [Fact]
    public async Task Shredding_RemovesThePreviewBlobsAndRows()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("a.pdf", "application/pdf", TestDocuments.Pdf(2, p => $"Page {p}"))));
        Assert.IsType<PreviewOutcome.Ready>(await PrepareAsync(_host, message.Id, 0));
        var row = Assert.Single(await RowsAsync(_host, message.Id));
        var names = new[] { $"{row.BlobPrefix}-p1", $"{row.BlobPrefix}-p2", $"{row.BlobPrefix}-text" };
        Assert.All(names, name => Assert.True(_host.BlobExistsAsync(name).Result, name));

        await _host.DbAsync(db => db.Recipients.Where(r => r.MessageId == message.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));
        var outcome = await _host.InScopeAsync(services => services.GetRequiredService<MessageShredder>().ShredIfUnreadableAsync(message.Id, CancellationToken.None));

        Assert.Equal(ShredOutcome.Shredded, outcome);
        foreach (var name in names)
        {
            Assert.False(await _host.BlobExistsAsync(name), $"{name} outlived the shredding");
        }

        Assert.Empty(await RowsAsync(_host, message.Id));
        Assert.Null(await PageAsync(_host, message.Id, 0, 1));
        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview), await PrepareAsync(_host, message.Id, 0));
        Assert.Empty(await RowsAsync(_host, message.Id));
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> × <paramref name="height"/> pixels, with one tiny data chunk.</summary>
    private static byte[] PngClaiming(int width, int height)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 6;
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR", header), .. Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), .. Chunk("IEND", [])];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        typed.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(typed));
        return chunk;
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}

public sealed class AttachmentPreviewsSqliteTests(AttachmentPreviewsTests.SqliteHost host) : AttachmentPreviewsTests(host), IClassFixture<AttachmentPreviewsTests.SqliteHost>;

public sealed class AttachmentPreviewsPostgresTests(AttachmentPreviewsTests.PostgresHost host) : AttachmentPreviewsTests(host), IClassFixture<AttachmentPreviewsTests.PostgresHost>;

/// <summary>With <c>OmePortal:Previews:AtIntake</c>, previews are made in the background after a message arrives, before anyone asks.</summary>
public sealed class PreviewsAtIntakeTests : IAsyncLifetime
{
    private readonly string _work = TestEnvironment.NewTempDirectory("omeportal-previews");
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(StorageKind.Sqlite, Settings(_work, ("AtIntake", "true"))).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task AtIntake_PreviewsAreRenderedWithoutARequest()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient,
            ("a.pdf", "application/pdf", TestDocuments.Pdf(2, p => $"Page {p}")),
            ("notes.txt", "text/plain", Encoding.UTF8.GetBytes("Notes"))));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<AttachmentPreviewRecord> rows;
        while ((rows = await RowsAsync(_host, message.Id)).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "no previews were made at intake");
            await Task.Delay(200);
        }

        Assert.All(rows, r => Assert.Equal(AttachmentPreviewStatus.Ready, r.Status));
        Assert.Equal([2, 0], rows.OrderBy(r => r.AttachmentIndex).Select(r => r.PagesRendered));
        Assert.Equal(new PreviewOutcome.Ready(2, 2, PreviewKind.Pdf, true), await PrepareAsync(_host, message.Id, 0));
    }
}
