using System.Text;
using MimeKit;
using MimeKit.IO;

namespace OmePortal.Core.Replies;

/// <summary>
/// Writes a reply as RFC 5322 bytes in a seekable stream (what intake needs) without copying the
/// uploaded attachments a second time: each part whose content is already base64 in memory
/// (<see cref="EncodedAttachment"/>) is written as a short marker, and the result is a chain of
/// the written bytes and the attachment buffers, byte for byte what MimeKit would have written.
/// </summary>
public static class ReplyMime
{
    private const string MarkerPrefix = "OmePortalSplice";

    /// <summary>CRLF line breaks, no SMTPUTF8 headers.</summary>
    public static FormatOptions Format { get; } = CreateFormat();

    /// <summary>Serialises <paramref name="message"/>; the stream reads from the message's attachment buffers, so keep them alive while it is used.</summary>
    public static Stream Serialize(MimeMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var spliced = new List<(MimePart Part, IMimeContent Content, ArraySegment<byte> Encoded, byte[] Marker)>();
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            if (part.Content is { Encoding: ContentEncoding.Base64, Stream: MemoryStream buffer } content
                && part.ContentTransferEncoding == ContentEncoding.Base64
                && buffer.TryGetBuffer(out var encoded) && EndsWithCrlf(encoded))
            {
                var marker = Encoding.ASCII.GetBytes($"{MarkerPrefix}{Guid.NewGuid():N}\r\n");
                spliced.Add((part, content, encoded, marker));
                part.Content = new MimeContent(new MemoryStream(marker, writable: false), ContentEncoding.Base64);
            }
        }

        var skeleton = new MemoryStream();
        try
        {
            message.WriteTo(Format, skeleton, cancellationToken);
        }
        finally
        {
            foreach (var (part, content, _, _) in spliced)
                part.Content = content;
        }

        var bytes = skeleton.GetBuffer();
        var length = (int)skeleton.Length;
        var cuts = spliced
            .Select(s => (Index: IndexOf(bytes.AsSpan(0, length), s.Marker), s.Marker, s.Encoded))
            .OrderBy(c => c.Index)
            .ToList();

        var chain = new ChainedStream();
        var position = 0;
        foreach (var (index, marker, encoded) in cuts)
        {
            if (index < position)
                throw new InvalidOperationException("A splice marker was not written exactly once.");
            chain.Add(new MemoryStream(bytes, position, index - position, writable: false), leaveOpen: false);
            chain.Add(new MemoryStream(encoded.Array!, encoded.Offset, encoded.Count, writable: false), leaveOpen: false);
            position = index + marker.Length;
        }

        chain.Add(new MemoryStream(bytes, position, length - position, writable: false), leaveOpen: false);
        return chain;
    }

    private static bool EndsWithCrlf(ArraySegment<byte> encoded) =>
        encoded.Count >= 2 && encoded[^2] == '\r' && encoded[^1] == '\n';

    private static int IndexOf(ReadOnlySpan<byte> haystack, byte[] needle)
    {
        var first = haystack.IndexOf(needle);
        if (first < 0 || haystack[(first + needle.Length)..].IndexOf(needle) >= 0)
            throw new InvalidOperationException("A splice marker was not written exactly once.");
        return first;
    }

    private static FormatOptions CreateFormat()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.International = false;
        return options;
    }
}
