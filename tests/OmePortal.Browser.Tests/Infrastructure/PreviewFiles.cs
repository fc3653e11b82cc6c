using System.IO.Compression;
using System.Text;
using MimeKit;
using MimeKit.Utils;
using SkiaSharp;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// One attachment of each kind the viewer previews, made in code: a PDF (PdfPig's writer), a Word document and
/// a spreadsheet (the few parts of OOXML that LibreOffice needs), a PNG (SkiaSharp) and a text file.
/// </summary>
public static class PreviewFiles
{
    public const string PdfName = "offer.pdf";
    public const string DocxName = "letter.docx";
    public const string XlsxName = "figures.xlsx";
    public const string PngName = "floor-plan.png";
    public const string TextName = "notes.txt";

    /// <summary>In the order the message carries them (render-model index 0 to 4).</summary>
    public static readonly IReadOnlyList<string> Names = [PdfName, DocxName, XlsxName, PngName, TextName];

    /// <summary>A message from <see cref="Mails.Sender"/> to <paramref name="to"/> with all five attachments.</summary>
    public static MimeMessage Message(string to, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Contoso Insurance", Mails.Sender));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = MimeUtils.GenerateMessageId("contoso.test");
        message.Date = DateTimeOffset.UtcNow;
        var builder = new BodyBuilder { TextBody = "Dear customer,\nthe documents are attached.\n" };
        builder.Attachments.Add(PdfName, Pdf(3), ContentType.Parse("application/pdf"));
        builder.Attachments.Add(DocxName, Docx(), ContentType.Parse("application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
        builder.Attachments.Add(XlsxName, Xlsx(), ContentType.Parse("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        builder.Attachments.Add(PngName, Png(), ContentType.Parse("image/png"));
        builder.Attachments.Add(TextName, Encoding.UTF8.GetBytes("Meeting notes\n- <b>not bold</b> & kept as typed\n- second point\n"), ContentType.Parse("text/plain; charset=utf-8"));
        message.Body = builder.ToMessageBody();
        return message;
    }

    public static byte[] Pdf(int pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var i = 1; i <= pages; i++)
        {
            var page = builder.AddPage(PageSize.A4);
            page.AddText($"Offer page {i} of {pages}", 24, new PdfPoint(72, 760), font);
            page.AddText("Premium: EUR 1,250 per year. Cover starts on 1 January.", 12, new PdfPoint(72, 720), font);
            page.DrawRectangle(new PdfPoint(72, 500), 450, 180, 2);
        }

        return builder.Build();
    }

    public static byte[] Docx() => Zip(
        ("[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"""),
        ("_rels/.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"""),
        ("word/document.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:rPr><w:b/><w:sz w:val="36"/></w:rPr><w:t>Letter about your policy</w:t></w:r></w:p><w:p><w:r><w:t>Dear customer, your policy renews on 1 January. This letter was written as a Word document.</w:t></w:r></w:p></w:body></w:document>"""));

    public static byte[] Xlsx() => Zip(
        ("[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"""),
        ("_rels/.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"""),
        ("xl/workbook.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Figures" sheetId="1" r:id="rId1"/></sheets></workbook>"""),
        ("xl/_rels/workbook.xml.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"""),
        ("xl/worksheets/sheet1.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Year</t></is></c><c r="B1" t="inlineStr"><is><t>Premium</t></is></c></row><row r="2"><c r="A2"><v>2026</v></c><c r="B2"><v>1180</v></c></row><row r="3"><c r="A3"><v>2027</v></c><c r="B3"><v>1250</v></c></row></sheetData></worksheet>"""));

    /// <summary>A light floor plan: lines and blocks on an off-white page.</summary>
    public static byte[] Png()
    {
        using var bitmap = new SKBitmap(800, 560);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(0xfa, 0xf9, 0xf8));
            using var wall = new SKPaint { Color = new SKColor(0x32, 0x31, 0x30), StrokeWidth = 6, Style = SKPaintStyle.Stroke, IsAntialias = true };
            using var room = new SKPaint { Color = new SKColor(0xc7, 0xe0, 0xf4), IsAntialias = true };
            canvas.DrawRect(60, 60, 300, 200, room);
            canvas.DrawRect(60, 60, 680, 440, wall);
            canvas.DrawLine(360, 60, 360, 300, wall);
            canvas.DrawLine(60, 300, 560, 300, wall);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte[] Zip(params (string Name, string Content)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        }

        return output.ToArray();
    }
}
