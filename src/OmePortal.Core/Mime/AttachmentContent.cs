using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace OmePortal.Core.Mime;

/// <summary>Reads an attachment straight from the original MIME bytes, without parsing the message.</summary>
public static class AttachmentContent
{
    /// <summary>
    /// Returns a read-only stream of the decoded content of <paramref name="entry"/>, reading the
    /// byte range [ContentOffset, ContentOffset + ContentLength) of <paramref name="originalMime"/>
    /// (which must be seekable and positioned so that offset 0 is the first byte of the message).
    /// </summary>
    public static Stream OpenDecoded(Stream originalMime, AttachmentEntry entry, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(originalMime);
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.ContentOffset < 0)
            throw new InvalidOperationException($"The location of attachment {entry.Index} in the original message is unknown.");

        return OpenDecoded(originalMime, entry.ContentOffset, entry.ContentLength, entry.TransferEncoding, leaveOpen);
    }

    /// <summary>Decodes <paramref name="length"/> bytes at <paramref name="offset"/> with the named transfer encoding.</summary>
    public static Stream OpenDecoded(Stream originalMime, long offset, long length, string transferEncoding, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(originalMime);
        ArgumentNullException.ThrowIfNull(transferEncoding);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!originalMime.CanSeek)
            throw new ArgumentException("The original MIME stream must be seekable.", nameof(originalMime));

        var bound = new BoundStream(originalMime, offset, offset + length, leaveOpen);
        var encoding = TransferEncodings.Parse(transferEncoding);
        if (TransferEncodings.IsIdentity(encoding))
            return bound;

        var filtered = new FilteredStream(bound);
        filtered.Add(DecoderFilter.Create(encoding));
        return filtered;
    }
}

/// <summary>Content-Transfer-Encoding names as stored in <see cref="AttachmentEntry.TransferEncoding"/>.</summary>
internal static class TransferEncodings
{
    public static string Name(ContentEncoding encoding) => encoding switch
    {
        ContentEncoding.EightBit => "8bit",
        ContentEncoding.Binary => "binary",
        ContentEncoding.Base64 => "base64",
        ContentEncoding.QuotedPrintable => "quoted-printable",
        ContentEncoding.UUEncode => "x-uuencode",
        _ => "7bit",
    };

    public static ContentEncoding Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "8bit" => ContentEncoding.EightBit,
        "binary" => ContentEncoding.Binary,
        "base64" => ContentEncoding.Base64,
        "quoted-printable" => ContentEncoding.QuotedPrintable,
        "x-uuencode" or "uuencode" or "x-uue" => ContentEncoding.UUEncode,
        _ => ContentEncoding.SevenBit,
    };

    public static bool IsIdentity(ContentEncoding encoding) =>
        encoding is ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit or ContentEncoding.Binary;
}
