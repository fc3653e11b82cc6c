using System.Text;

namespace OmePortal.Core.Replies;

/// <summary>
/// Decides the content type of an uploaded file by its content (docs/ARCHITECTURE.md §11: uploads checked by
/// content), not by what the browser claims. The extension only chooses between types that share a
/// container (a .docx and a .zip both start with PK). Anything unrecognised is application/octet-stream.
/// </summary>
public static class AttachmentTypes
{
    public const string Unknown = "application/octet-stream";

    private static readonly Dictionary<string, string> ZipContainers = new(StringComparer.OrdinalIgnoreCase)
    {
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        [".odt"] = "application/vnd.oasis.opendocument.text",
        [".ods"] = "application/vnd.oasis.opendocument.spreadsheet",
        [".odp"] = "application/vnd.oasis.opendocument.presentation",
        [".zip"] = "application/zip",
    };

    private static readonly Dictionary<string, string> OleContainers = new(StringComparer.OrdinalIgnoreCase)
    {
        [".doc"] = "application/msword",
        [".xls"] = "application/vnd.ms-excel",
        [".ppt"] = "application/vnd.ms-powerpoint",
        [".msg"] = "application/vnd.ms-outlook",
    };

    private static readonly Dictionary<string, string> TextTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain",
        [".text"] = "text/plain",
        [".log"] = "text/plain",
        [".md"] = "text/plain",
        [".csv"] = "text/csv",
    };

    /// <param name="fileName">The cleaned file name (only its extension is used).</param>
    /// <param name="head">The first bytes of the file (up to <see cref="EncodedAttachment.HeadLength"/>).</param>
    /// <param name="complete">True when <paramref name="head"/> is the whole file (a multi-byte character may be cut otherwise).</param>
    public static string Detect(string fileName, ReadOnlySpan<byte> head, bool complete)
    {
        var extension = Path.GetExtension(fileName ?? string.Empty);
        if (head.StartsWith("%PDF-"u8))
            return "application/pdf";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
            return "image/png";
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
            return "image/jpeg";
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
            return "image/gif";
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
            return "image/webp";
        if (head.StartsWith("PK\x03\x04"u8))
            return ZipContainers.GetValueOrDefault(extension, "application/zip");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
            return OleContainers.GetValueOrDefault(extension, Unknown);
        if (TextTypes.TryGetValue(extension, out var textType) && LooksLikeText(head, complete))
            return textType;
        return Unknown;
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> head, bool complete)
    {
        if (head.Contains((byte)0))
            return false;

        // Valid UTF-8 (a character cut at the end of an incomplete head is fine).
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
        try
        {
            var chars = new char[head.Length + 1];
            decoder.GetChars(head, chars, flush: complete);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
