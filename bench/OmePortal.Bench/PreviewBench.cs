using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MimeKit;
using OmePortal.Testing;

namespace OmePortal.Bench;

/// <summary>
/// (issue 23) Attachment previews through the real portal process and the real converters: time to the first
/// page (the viewer page, which converts, then page 1's image) for a 2 MB, 20-page PDF and a 1 MB .docx, cold
/// (a new message each time, so nothing is stored yet) and cached (the stored, encrypted page again), and the
/// portal process's peak extra memory while it converts (the converters are child processes: their memory is
/// theirs, capped by the preview limits, not the portal's). Targets: cached page &lt; 50 ms, cold first PDF page &lt; 1 s.
/// </summary>
public static class PreviewBench
{
    private const string Reader = "lotte.bakker@example.nl";
    private const int ColdPdfRuns = 5;
    private const int ColdDocxRuns = 3;
    private const int CachedRuns = 50;

    public static async Task RunAsync(Report report, BenchOptions options)
    {
        await using var portal = await PortalProcess.StartAsync(options.WebDll!);
        using var api = new HttpClient { BaseAddress = new Uri(portal.BaseUrl), Timeout = TimeSpan.FromMinutes(5) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", portal.ApiKey);
        var pdf = TwentyPagePdf();
        var docx = Docx();

        async Task<(Guid Id, string Link)> IngestAsync(string name, string type, byte[] attachment)
        {
            var message = new MimeMessage();
            message.From.Add(new MailboxAddress("Sender", "sender@contoso.test"));
            message.To.Add(MailboxAddress.Parse(Reader));
            message.Subject = "Preview bench " + Guid.NewGuid().ToString("N")[..8];
            var body = new BodyBuilder { TextBody = "See the attachment." };
            body.Attachments.Add(name, attachment, ContentType.Parse(type));
            message.Body = body.ToMessageBody();
            using var content = new ByteArrayContent(TestMessages.ToBytes(message));
            content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            using var created = await api.PostAsync("/api/v1/messages", content);
            var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
            return (json.GetProperty("id").GetGuid(), json.GetProperty("recipients")[0].GetProperty("link").GetString()!);
        }

        var warmUp = await IngestAsync("warm.pdf", "application/pdf", pdf);
        using var reader = new RecipientBrowserlessClient(portal.BaseUrl, Path.Combine(portal.DataDirectory, "outbox"));
        await reader.SignInFromLinkAsync(warmUp.Link);
        await FirstPageAsync(reader.Http, warmUp.Id);

        var pdfCold = new List<double>();
        long pdfPeak = 0;
        for (var run = 0; run < ColdPdfRuns; run++)
        {
            var (id, _) = await IngestAsync("report.pdf", "application/pdf", pdf);
            await Task.Delay(500);
            portal.ResetPeak();
            var before = portal.ResidentBytes();
            pdfCold.Add(await FirstPageAsync(reader.Http, id));
            pdfPeak = Math.Max(pdfPeak, portal.PeakResidentBytes() - before);
        }

        var lastPdf = await IngestAsync("report.pdf", "application/pdf", pdf);
        await FirstPageAsync(reader.Http, lastPdf.Id);
        var pdfCached = await CachedAsync(reader.Http, lastPdf.Id);

        var docxCold = new List<double>();
        long docxPeak = 0;
        Guid lastDocx = Guid.Empty;
        for (var run = 0; run < ColdDocxRuns; run++)
        {
            (lastDocx, _) = await IngestAsync("letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx);
            await Task.Delay(500);
            portal.ResetPeak();
            var before = portal.ResidentBytes();
            docxCold.Add(await FirstPageAsync(reader.Http, lastDocx));
            docxPeak = Math.Max(docxPeak, portal.PeakResidentBytes() - before);
        }

        var docxCached = await CachedAsync(reader.Http, lastDocx);

        report.Line("## Attachment previews: time to first page (viewer page + page 1 image), one reader");
        report.Line();
        report.Line($"PDF {pdf.Length / (1024.0 * 1024):F2} MB, 20 pages (text and a 100 KB image each); .docx {docx.Length / (1024.0 * 1024):F2} MB (40 paragraphs and a 1 MB image).");
        report.Line();
        report.Line("| document | cold first page (each run) | cold median | cached page image median / p95 | cached viewer page + image median | portal peak extra RSS while converting |");
        report.Line("|---|---|---|---|---|---|");
        report.Line($"| PDF | {Runs(pdfCold)} | {Median(pdfCold):F0} ms | {Median(pdfCached.Image):F1} / {P95(pdfCached.Image):F1} ms | {Median(pdfCached.Both):F1} ms | {pdfPeak / (1024.0 * 1024):F0} MB |");
        report.Line($"| .docx | {Runs(docxCold)} | {Median(docxCold):F0} ms | {Median(docxCached.Image):F1} / {P95(docxCached.Image):F1} ms | {Median(docxCached.Both):F1} ms | {docxPeak / (1024.0 * 1024):F0} MB |");
        report.Line();
    }

    /// <summary>The viewer page (which converts on the first request), then page 1's image: milliseconds until the image's last byte.</summary>
    private static async Task<double> FirstPageAsync(HttpClient http, Guid id)
    {
        var clock = Stopwatch.StartNew();
        using (var page = await http.GetAsync($"/messages/{id}/attachments/0/preview"))
        {
            await page.Content.ReadAsByteArrayAsync();
            if (!page.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"The viewer answered {(int)page.StatusCode}.");
            }
        }

        await ImageAsync(http, id);
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task ImageAsync(HttpClient http, Guid id)
    {
        using var image = await http.GetAsync($"/messages/{id}/attachments/0/preview/pages/1");
        var bytes = await image.Content.ReadAsByteArrayAsync();
        if (!image.IsSuccessStatusCode || bytes.Length < 8 || bytes[1] != (byte)'P')
        {
            throw new InvalidOperationException($"Page 1 answered {(int)image.StatusCode} with {bytes.Length} bytes.");
        }
    }

    private static async Task<(List<double> Image, List<double> Both)> CachedAsync(HttpClient http, Guid id)
    {
        var image = new List<double>();
        var both = new List<double>();
        for (var run = 0; run < CachedRuns; run++)
        {
            var clock = Stopwatch.StartNew();
            await ImageAsync(http, id);
            image.Add(clock.Elapsed.TotalMilliseconds);
            both.Add(await FirstPageAsync(http, id));
        }

        return (image, both);
    }

    private static string Runs(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static double P95(List<double> values) => values.Order().ElementAt((int)Math.Ceiling(values.Count * 0.95) - 1);

    /// <summary>20 A4 pages, each with a line of text and a 100 KB image of noise (stored uncompressed): about 2 MB.</summary>
    private static byte[] TwentyPagePdf()
    {
        const int Pages = 20;
        const int Side = 185;
        var random = new Random(23);
        var objects = new List<byte[]> { Ascii("<</Type/Catalog/Pages 2 0 R>>") };
        objects.Add(Ascii($"<</Type/Pages/Kids[{string.Join(' ', Enumerable.Range(0, Pages).Select(i => $"{4 + (3 * i)} 0 R"))}]/Count {Pages}>>"));
        objects.Add(Ascii("<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"));
        for (var page = 1; page <= Pages; page++)
        {
            var self = 4 + (3 * (page - 1));
            objects.Add(Ascii($"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>/XObject<</Im {self + 2} 0 R>>>>/Contents {self + 1} 0 R>>"));
            objects.Add(Stream(Ascii($"BT /F1 24 Tf 72 760 Td (Quarterly report, page {page} of {Pages}) Tj ET q 400 0 0 400 97 300 cm /Im Do Q")));
            var pixels = new byte[Side * Side * 3];
            random.NextBytes(pixels);
            objects.Add(Stream(pixels, $"/Type/XObject/Subtype/Image/Width {Side}/Height {Side}/ColorSpace/DeviceRGB/BitsPerComponent 8"));
        }

        using var output = new MemoryStream();
        output.Write(Ascii("%PDF-1.7\n"));
        var offsets = new List<long>();
        for (var i = 0; i < objects.Count; i++)
        {
            offsets.Add(output.Position);
            output.Write(Ascii($"{i + 1} 0 obj\n"));
            output.Write(objects[i]);
            output.Write(Ascii("\nendobj\n"));
        }

        var xref = output.Position;
        var table = new StringBuilder($"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            table.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        table.Append(CultureInfo.InvariantCulture, $"trailer\n<</Size {objects.Count + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n");
        output.Write(Ascii(table.ToString()));
        return output.ToArray();
    }

    /// <summary>A Word document of 40 paragraphs with a 1 MB picture (noise, as a stored PNG) on its first page.</summary>
    private static byte[] Docx()
    {
        var paragraphs = string.Concat(Enumerable.Range(1, 40).Select(i =>
            $"<w:p><w:r><w:t>Paragraph {i}. The figures for the quarter are attached; this sentence repeats to fill the page with ordinary text.</w:t></w:r></w:p>"));
        const string Picture = """
            <w:p><w:r><w:drawing><wp:inline><wp:extent cx="5400000" cy="5400000"/><wp:docPr id="1" name="Picture 1"/>
            <a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">
            <pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="1" name="noise.png"/><pic:cNvPicPr/></pic:nvPicPr>
            <pic:blipFill><a:blip r:embed="rIdImage"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>
            <pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="5400000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>
            </a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>
            """;
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] content, CompressionLevel level = CompressionLevel.Optimal)
            {
                using var stream = zip.CreateEntry(name, level).Open();
                stream.Write(content);
            }

            Add("[Content_Types].xml", Utf8("""
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
                  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
                  <Default Extension="xml" ContentType="application/xml"/>
                  <Default Extension="png" ContentType="image/png"/>
                  <Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
                </Types>
                """));
            Add("_rels/.rels", Utf8("""
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
                  <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
                </Relationships>
                """));
            Add("word/_rels/document.xml.rels", Utf8("""
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
                  <Relationship Id="rIdImage" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/noise.png"/>
                </Relationships>
                """));
            Add("word/document.xml", Utf8($"""
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">
                  <w:body>{Picture}{paragraphs}</w:body>
                </w:document>
                """));
            Add("word/media/noise.png", NoisePng(580), CompressionLevel.NoCompression);
        }

        return buffer.ToArray();
    }

    /// <summary>A PNG of random pixels (incompressible, so its size is its pixels: 580² × 3 ≈ 1 MB).</summary>
    private static byte[] NoisePng(int side)
    {
        var random = new Random(24);
        using var raw = new MemoryStream();
        using (var deflate = new ZLibStream(raw, CompressionLevel.NoCompression, leaveOpen: true))
        {
            var row = new byte[1 + (side * 3)];
            for (var y = 0; y < side; y++)
            {
                random.NextBytes(row.AsSpan(1));
                row[0] = 0;
                deflate.Write(row);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8;
        header[9] = 2;
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR", header), .. Chunk("IDAT", raw.ToArray()), .. Chunk("IEND", [])];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        typed.CopyTo(chunk, 4);
        var crc = 0xFFFFFFFFu;
        foreach (var b in typed)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), ~crc);
        return chunk;
    }

    private static byte[] Stream(byte[] data, string dictionary = "") =>
        [.. Ascii($"<<{dictionary}/Length {data.Length}>>\nstream\n"), .. data, .. Ascii("\nendstream")];

    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text.Trim());
}
