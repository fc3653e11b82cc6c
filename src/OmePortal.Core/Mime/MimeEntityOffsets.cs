using MimeKit;

namespace OmePortal.Core.Mime;

/// <summary>The byte range of one entity's content within the original MIME bytes.</summary>
/// <param name="ContentOffset">First byte after the blank line that ends the entity's headers.</param>
/// <param name="ContentLength">Bytes up to the end of the entity (for a part inside a multipart,
/// up to the line break that precedes the next boundary, exactly as MimeKit delimits the content).</param>
public readonly record struct MimeEntityRange(long ContentOffset, long ContentLength);

/// <summary>
/// Content ranges recorded from <see cref="MimeParser.MimeEntityEnd"/> while a message is parsed,
/// so that an attachment can later be streamed straight out of the original bytes.
/// Offsets are relative to <see cref="BaseOffset"/> (the stream position where parsing started).
/// </summary>
public sealed class MimeEntityOffsets
{
    private readonly Dictionary<MimeEntity, MimeEntityRange> _ranges = new(ReferenceEqualityComparer.Instance);

    public MimeEntityOffsets(long baseOffset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(baseOffset);
        BaseOffset = baseOffset;
    }

    /// <summary>The absolute stream position that relative offset 0 stands for.</summary>
    public long BaseOffset { get; }

    public int Count => _ranges.Count;

    /// <summary>Creates a collector that records every entity <paramref name="parser"/> finishes.</summary>
    public static MimeEntityOffsets Attach(MimeParser parser, long baseOffset)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var offsets = new MimeEntityOffsets(baseOffset);
        parser.MimeEntityEnd += offsets.OnMimeEntityEnd;
        return offsets;
    }

    /// <summary>Records an entity from absolute parser offsets.</summary>
    public void Record(MimeEntity entity, long headersEndOffset, long endOffset)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var start = headersEndOffset - BaseOffset;
        var length = endOffset - headersEndOffset;
        if (start < 0 || length < 0)
            return;

        _ranges[entity] = new MimeEntityRange(start, length);
    }

    public bool TryGet(MimeEntity entity, out MimeEntityRange range) => _ranges.TryGetValue(entity, out range);

    private void OnMimeEntityEnd(object? sender, MimeEntityEndEventArgs e) =>
        Record(e.Entity, e.HeadersEndOffset, e.EndOffset);
}
