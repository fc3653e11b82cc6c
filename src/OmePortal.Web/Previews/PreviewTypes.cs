using System.Text;
using OmePortal.Core.Mime;

namespace OmePortal.Web.Previews;

/// <summary>
/// Decides what an attachment is for previewing, from its first bytes first (docs/ARCHITECTURE.md §11: uploads
/// are judged by content): a PDF by its header, an image by its signature, an Office document by its name
/// together with a container signature that fits it (ZIP for OOXML and OpenDocument, OLE for the old binary
/// formats, <c>{\rtf</c> for RTF), text by its declared type or name with no NUL byte in its head.
/// </summary>
internal static class PreviewTypes
{
    /// <summary>Bytes of the decoded attachment <see cref="Classify"/> looks at.</summary>
    public const int HeadLength = 8192;

    private static readonly HashSet<string> ZipOffice = new(StringComparer.OrdinalIgnoreCase)
    {
        ".docx", ".docm", ".dotx", ".dotm", ".xlsx", ".xlsm", ".xltx", ".pptx", ".pptm", ".ppsx", ".odt", ".ods", ".odp", ".odg",
    };

    private static readonly HashSet<string> OleOffice = new(StringComparer.OrdinalIgnoreCase) { ".doc", ".dot", ".xls", ".ppt", ".pps" };

    private static readonly HashSet<string> TextNames = new(StringComparer.OrdinalIgnoreCase) { ".txt", ".text", ".csv", ".log", ".md" };

    private static readonly HashSet<string> TextTypes = new(StringComparer.OrdinalIgnoreCase) { "text/plain", "text/csv", "text/markdown" };

    /// <summary>The kind to preview <paramref name="entry"/> as, or null when it is no type the portal previews.</summary>
    public static PreviewKind? Classify(AttachmentEntry entry, ReadOnlySpan<byte> head)
    {
        var extension = Path.GetExtension(entry.FileName);
        if (IsPdf(head))
        {
            return PreviewKind.Pdf;
        }

        if (ImagePreview.IsImage(head))
        {
            return PreviewKind.Image;
        }

        if ((ZipOffice.Contains(extension) && head.StartsWith("PK\u0003\u0004"u8))
            || (OleOffice.Contains(extension) && head.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
            || (extension.Equals(".rtf", StringComparison.OrdinalIgnoreCase) && head.StartsWith("{\\rtf"u8)))
        {
            return PreviewKind.Office;
        }

        var mediaType = entry.ContentType.Split(';', 2)[0].Trim();
        if ((TextTypes.Contains(mediaType) || TextNames.Contains(extension)) && !head.Contains((byte)0))
        {
            return PreviewKind.Text;
        }

        return null;
    }

    /// <summary>The extension LibreOffice is given the document under (its own detection decides the filter; the name only helps).</summary>
    public static string OfficeExtension(AttachmentEntry entry)
    {
        var extension = Path.GetExtension(entry.FileName).ToLowerInvariant();
        return ZipOffice.Contains(extension) || OleOffice.Contains(extension) || extension == ".rtf" ? extension : ".bin";
    }

    /// <summary>A PDF reader accepts the header anywhere in the first kilobyte, so the check does too.</summary>
    private static bool IsPdf(ReadOnlySpan<byte> head) => head[..Math.Min(head.Length, 1024)].IndexOf("%PDF-"u8) >= 0;

    /// <summary>The charset a text attachment declares, if the render model kept it and .NET knows it; else null.</summary>
    public static Encoding? TextEncoding(AttachmentEntry entry)
    {
        if (MimeKit.ContentType.TryParse(entry.ContentType, out var type) && type.Charset is { Length: > 0 } charset)
        {
            try
            {
                return Encoding.GetEncoding(charset);
            }
            catch (ArgumentException)
            {
                // An unknown charset name: the text decides, as when none is declared.
            }
        }

        return null;
    }
}
