using MimeKit;

namespace OmePortal.Core.Mime;

/// <summary>
/// A forward-only pass over the raw message (MimeKit's <see cref="MimeReader"/>: no object tree, nothing kept)
/// that counts MIME entities and header lines and stops at the first limit passed. It runs before the real
/// parse, so a message of 50,000 empty parts or 100,000 header lines costs one read of its bytes, not a DOM.
/// </summary>
internal sealed class MimeStructureScan : MimeReader
{
    private readonly MimeLimits _limits;
    private int _parts;
    private int _completedHeaderLines;
    private int _headersBeginLine;

    private MimeStructureScan(ParserOptions options, Stream stream, MimeLimits limits)
        : base(options, stream, MimeFormat.Entity) => _limits = limits;

    /// <summary>Null when the message is within the limits, else a sentence naming the limit passed.</summary>
    public static string? FindViolation(ParserOptions options, Stream stream, MimeLimits limits, CancellationToken ct)
    {
        var scan = new MimeStructureScan(options, stream, limits);
        try
        {
            scan.ReadMessage(ct);
            return null;
        }
        catch (LimitPassedException passed)
        {
            return passed.Message;
        }
        catch (FormatException)
        {
            // Not this pass's business: the real parse reports unreadable input with its own reason.
            return null;
        }
    }

    protected override void OnHeadersBegin(long beginOffset, int beginLineNumber, CancellationToken cancellationToken) =>
        _headersBeginLine = beginLineNumber;

    protected override void OnHeaderRead(Header header, int beginLineNumber, CancellationToken cancellationToken)
    {
        // Checked per header, not at the end of the block: one block of 100,000 lines is refused as it is read.
        if (_completedHeaderLines + (beginLineNumber - _headersBeginLine) >= _limits.MaxHeaderLines)
            throw new LimitPassedException($"The message has more than {_limits.MaxHeaderLines} header lines, the most this portal accepts.");
    }

    protected override void OnHeadersEnd(long beginOffset, int beginLineNumber, long endOffset, int endLineNumber, CancellationToken cancellationToken)
    {
        _completedHeaderLines += Math.Max(0, endLineNumber - beginLineNumber);
        if (_completedHeaderLines > _limits.MaxHeaderLines)
            throw new LimitPassedException($"The message has more than {_limits.MaxHeaderLines} header lines, the most this portal accepts.");
    }

    protected override void OnMimePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) => CountPart();

    protected override void OnMultipartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) => CountPart();

    protected override void OnMessagePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) => CountPart();

    private void CountPart()
    {
        if (++_parts > _limits.MaxMimeParts)
            throw new LimitPassedException($"The message has more than {_limits.MaxMimeParts} MIME parts, the most this portal accepts.");
    }

    private sealed class LimitPassedException(string message) : Exception(message);
}
