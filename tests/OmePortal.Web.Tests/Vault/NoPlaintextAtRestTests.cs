using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OmePortal.Testing;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Vault;

/// <summary>
/// A message with unique markers in its subject, HTML body, text body and attachments is ingested and its
/// attachments previewed (a PDF with a marker on its pages, rendered to images and text); then every byte of the database files and the blob store (files, or Azurite's data directory), and
/// everything else under the data directory, is searched for the markers and for the recipients' link tokens.
/// </summary>
public abstract class NoPlaintextAtRestTests(ITestOutputHelper output)
{
    protected abstract StorageKind Storage { get; }

    [Fact]
    public async Task Ingest_LeavesNoPlaintextInDatabaseOrBlobs()
    {
        // Previews (issue 23) work in a directory of their own: scanned too, and it must be empty afterwards.
        var previewWork = TestEnvironment.NewTempDirectory("omeportal-previews");
        await using var host = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Previews:WorkDirectory"] = previewWork }).StartAsync();
        var markers = new[]
        {
            TestMessages.NewMarker("SUBJECTMARK"),
            TestMessages.NewMarker("HTMLMARK"),
            TestMessages.NewMarker("TEXTMARK"),
            TestMessages.NewMarker("ATTACHMARK"),
            TestMessages.NewMarker("PREVIEWMARK"),
        };
        var mime = TestMessages.WithMarkers(markers[0], markers[1], markers[2], markers[3], "jan@example.nl", "piet@example.nl");
        Assert.IsType<MimeKit.Multipart>(mime.Body).Add(new MimeKit.MimePart("application", "pdf")
        {
            Content = new MimeKit.MimeContent(new MemoryStream(Previews.TestDocuments.Pdf(2, page => $"Page {page} {markers[4]}"))),
            ContentDisposition = new MimeKit.ContentDisposition(MimeKit.ContentDisposition.Attachment) { FileName = "figures.pdf" },
            ContentTransferEncoding = MimeKit.ContentEncoding.EightBit,
        });
        var raw = TestMessages.ToBytes(mime);

        // Control: the scanner finds every marker in the plaintext we send.
        Assert.All(markers, m => Assert.True(Contains(raw, m), $"control: {m} not found in the raw message"));

        var ingested = await host.IngestAsync(raw);
        var tokens = ingested.Recipients.Select(r => r.Token).ToList();
        await host.WaitForOutboxAsync(tokens.Count);

        // Both attachments previewed: the text file's text and the PDF's pages and text layer are stored (encrypted).
        var pagesSeen = new List<byte[]>();
        foreach (var index in new[] { 0, 1 })
        {
            Assert.IsType<OmePortal.Web.Previews.PreviewOutcome.Ready>(await Previews.PreviewTestSupport.PrepareAsync(host, ingested.Id, index));
            var page = await Previews.PreviewTestSupport.PageAsync(host, ingested.Id, index, 1);
            if (page is not null)
            {
                pagesSeen.Add(page[(page.Length / 2)..((page.Length / 2) + 48)]);
            }
        }

        // Control: the rendered preview does hold the marker, as text and as a page image.
        Assert.Contains(markers[4], await Previews.PreviewTestSupport.TextAsync(host, ingested.Id, 1, 2), StringComparison.Ordinal);
        Assert.Contains(markers[3], await Previews.PreviewTestSupport.TextAsync(host, ingested.Id, 0, 1), StringComparison.Ordinal);
        Assert.Single(pagesSeen);
        Assert.Empty(Directory.EnumerateFileSystemEntries(previewWork));

        var roots = new List<string> { host.DataDirectory, previewWork };
        if (Storage is StorageKind.Postgres or StorageKind.PostgresAzureBlob)
        {
            await using (var connection = new NpgsqlConnection(host.PostgresConnectionString))
            {
                await connection.OpenAsync();
                await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
                await checkpoint.ExecuteNonQueryAsync();
            }

            roots.Add(TestEnvironment.PostgresDataDirectory
                ?? throw new InvalidOperationException($"{TestEnvironment.PostgresDataVariable} is not set: run ./test.sh."));
        }

        // Azurite keeps the blocks of every container in extent files and the blob index in its own database files.
        // Control: some of this message's ciphertext must be found there, so the scan reads where the blobs are.
        byte[]? ciphertextSample = null;
        if (Storage == StorageKind.PostgresAzureBlob)
        {
            roots.Add(TestEnvironment.AzuriteDataDirectory);
            var contentBlob = await host.DbAsync(db => db.Messages.Select(m => m.ContentBlob).SingleAsync());
            ciphertextSample = (await host.ReadBlobAsync(contentBlob))[^256..];
        }

        var ciphertextFound = false;

        var files = roots.SelectMany(r => Directory.EnumerateFiles(r, "*", SearchOption.AllDirectories)).ToList();
        var blobs = Storage == StorageKind.PostgresAzureBlob
            ? await host.CountBlobsAsync()
            : files.Count(f => f.StartsWith(host.BlobDirectory, StringComparison.Ordinal));
        Assert.True(blobs >= 2, "the blob store should hold the message's content and render model");
        Assert.Contains(files, f => Storage != StorageKind.Sqlite || f.EndsWith("omeportal.db", StringComparison.Ordinal));
        Assert.Contains(files, f => Storage != StorageKind.PostgresAzureBlob || f.StartsWith(TestEnvironment.AzuriteDataDirectory, StringComparison.Ordinal));

        long scanned = 0;
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file);
            }
            catch (IOException)
            {
                continue; // a PostgreSQL socket/lock file
            }

            scanned += bytes.Length;
            ciphertextFound |= ciphertextSample is not null && bytes.AsSpan().IndexOf(ciphertextSample) >= 0;

            // The outbox is mail already handed over for delivery: it carries the links by design,
            // but must not carry anything the message says.
            var delivered = file.StartsWith(host.OutboxDirectory, StringComparison.Ordinal);
            foreach (var needle in delivered ? markers : markers.Concat(tokens))
            {
                Assert.False(Contains(bytes, needle), $"'{needle}' found in plaintext in {file}");
            }

            foreach (var page in pagesSeen)
            {
                Assert.False(bytes.AsSpan().IndexOf(page) >= 0, $"a rendered preview page found in plaintext in {file}");
            }
        }

        output.WriteLine($"Scanned {files.Count} files, {scanned} bytes.");
        Assert.True(scanned > raw.Length);
        Assert.True(ciphertextSample is null || ciphertextFound, "the message's ciphertext was not among the scanned Azurite files");
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0
        || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(needle)) >= 0;
}

public sealed class NoPlaintextAtRestSqliteTests(ITestOutputHelper output) : NoPlaintextAtRestTests(output)
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class NoPlaintextAtRestPostgresTests(ITestOutputHelper output) : NoPlaintextAtRestTests(output)
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

public sealed class NoPlaintextAtRestPostgresAzureBlobTests(ITestOutputHelper output) : NoPlaintextAtRestTests(output)
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}
