using System.Globalization;
using System.IO.Compression;
using System.Text;
using MimeKit;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Previews;

/// <summary>
/// Documents for the preview tests, made in code: well-formed PDFs with text on every page, and the hostile
/// ones of issue 23 (a decompression bomb, a document that never finishes rendering, 100,000 pages, a huge
/// page, a corrupt file). Written byte by byte with a correct cross-reference table, so poppler reads them
/// as it would any PDF.
/// </summary>
internal static class TestDocuments
{
    /// <summary>A PDF of <paramref name="pages"/> A4 pages; page i shows <paramref name="text"/>(i) in Helvetica.</summary>
    public static byte[] Pdf(int pages, Func<int, string> text)
    {
        var objects = new List<byte[]> { Ascii("<</Type/Catalog/Pages 2 0 R>>") };
        var kids = new StringBuilder();
        for (var i = 0; i < pages; i++)
        {
            kids.Append(CultureInfo.InvariantCulture, $"{4 + (2 * i)} 0 R ");
        }

        objects.Add(Ascii($"<</Type/Pages/Kids[{kids}]/Count {pages}>>"));
        objects.Add(Ascii("<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"));
        for (var i = 1; i <= pages; i++)
        {
            objects.Add(Ascii($"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents {5 + (2 * (i - 1))} 0 R>>"));
            objects.Add(Stream(Ascii($"BT /F1 12 Tf 40 780 Td ({Escape(text(i))}) Tj ET")));
        }

        return Assemble(objects);
    }

    /// <summary>
    /// <paramref name="pages"/> pages that all share one content stream: 100,000 pages in a few megabytes. Every
    /// page is a real page object in the page tree, so the page count is what a reader finds, not a claim.
    /// </summary>
    public static byte[] ManyPages(int pages)
    {
        var objects = new List<byte[]> { Ascii("<</Type/Catalog/Pages 2 0 R>>") };
        var kids = new StringBuilder(pages * 10);
        for (var i = 0; i < pages; i++)
        {
            kids.Append(CultureInfo.InvariantCulture, $"{5 + i} 0 R ");
        }

        objects.Add(Ascii($"<</Type/Pages/Kids[{kids}]/Count {pages}>>"));
        objects.Add(Ascii("<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"));
        objects.Add(Stream(Ascii("BT /F1 24 Tf 72 760 Td (One of very many pages) Tj ET")));
        var page = Ascii("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 4 0 R>>");
        for (var i = 0; i < pages; i++)
        {
            objects.Add(page);
        }

        return Assemble(objects);
    }

    /// <summary>
    /// A decompression bomb: one page draws a 30,000 × 30,000 RGB image (2.7 GB of pixels) that deflates from
    /// about 2.6 MB. Poppler would spend minutes inflating and scaling it.
    /// </summary>
    public static byte[] ImageBomb()
    {
        const int Side = 30_000;
        using var compressed = new MemoryStream();
        using (var deflate = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[Side * 3];
            for (var y = 0; y < Side; y++)
            {
                deflate.Write(row);
            }
        }

        return Assemble(
        [
            Ascii("<</Type/Catalog/Pages 2 0 R>>"),
            Ascii("<</Type/Pages/Kids[3 0 R]/Count 1>>"),
            Ascii("<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</XObject<</I 5 0 R>>>>>>"),
            Stream(Ascii("q 612 0 0 792 0 0 cm /I Do Q")),
            Stream(compressed.ToArray(), $"/Type/XObject/Subtype/Image/Width {Side}/Height {Side}/ColorSpace/DeviceRGB/BitsPerComponent 8/Filter/FlateDecode"),
        ]);
    }

    /// <summary>
    /// A document that never finishes rendering: forty form XObjects, each drawing the next twice, so one page
    /// asks for 2^40 draws from a file of a few kilobytes (no cycle for the renderer to detect).
    /// </summary>
    public static byte[] EndlessRender()
    {
        const int Levels = 40;
        var objects = new List<byte[]>
        {
            Ascii("<</Type/Catalog/Pages 2 0 R>>"),
            Ascii("<</Type/Pages/Kids[3 0 R]/Count 1>>"),
            Ascii("<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</XObject<</X 5 0 R>>>>>>"),
            Stream(Ascii("/X Do")),
        };
        for (var level = 0; level < Levels; level++)
        {
            var self = 5 + level;
            objects.Add(level == Levels - 1
                ? Stream(Ascii("0 0 1 1 re f"), "/Type/XObject/Subtype/Form/BBox[0 0 612 792]")
                : Stream(Ascii("/Y Do /Y Do"), $"/Type/XObject/Subtype/Form/BBox[0 0 612 792]/Resources<</XObject<</Y {self + 1} 0 R>>>>"));
        }

        return Assemble(objects);
    }

    /// <summary>A page that claims to be 14,400 km wide and high (the largest MediaBox a writer may put down, times a thousand).</summary>
    public static byte[] HugePage() => Assemble(
    [
        Ascii("<</Type/Catalog/Pages 2 0 R>>"),
        Ascii("<</Type/Pages/Kids[3 0 R]/Count 1>>"),
        Ascii("<</Type/Page/Parent 2 0 R/MediaBox[0 0 14400000 14400000]/Contents 4 0 R>>"),
        Stream(Ascii("0 0 7200000 7200000 re f")),
    ]);

    /// <summary>A PDF header followed by noise: no cross-reference table, no objects.</summary>
    public static byte[] CorruptPdf()
    {
        var bytes = new byte[64 * 1024];
        new Random(23).NextBytes(bytes);
        Ascii("%PDF-1.7\n").CopyTo(bytes, 0);
        return bytes;
    }

    /// <summary>A message to <paramref name="to"/> with the given attachments (name, content type, bytes), attachment i at render-model index i.</summary>
    public static byte[] Message(string to, params (string Name, string ContentType, byte[] Content)[] attachments)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@contoso.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "Previews " + Guid.NewGuid().ToString("N")[..8];
        var body = new BodyBuilder { TextBody = "See the attachments." };
        foreach (var (name, contentType, content) in attachments)
        {
            body.Attachments.Add(name, content, ContentType.Parse(contentType));
        }

        message.Body = body.ToMessageBody();
        return TestMessages.ToBytes(message);
    }

    private static byte[] Assemble(IReadOnlyList<byte[]> objects)
    {
        using var output = new MemoryStream();
        Write(output, "%PDF-1.7\n%\u00e2\u00e3\n");
        var offsets = new long[objects.Count];
        for (var i = 0; i < objects.Count; i++)
        {
            offsets[i] = output.Position;
            Write(output, $"{i + 1} 0 obj\n");
            output.Write(objects[i]);
            Write(output, "\nendobj\n");
        }

        var xref = output.Position;
        var table = new StringBuilder();
        table.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            table.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        table.Append(CultureInfo.InvariantCulture, $"trailer\n<</Size {objects.Count + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n");
        Write(output, table.ToString());
        return output.ToArray();
    }

    private static byte[] Stream(byte[] data, string dictionary = "")
    {
        var head = Ascii($"<<{dictionary}/Length {data.Length}>>\nstream\n");
        var tail = Ascii("\nendstream");
        return [.. head, .. data, .. tail];
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal);

    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    private static void Write(Stream output, string text) => output.Write(Encoding.Latin1.GetBytes(text));
}
