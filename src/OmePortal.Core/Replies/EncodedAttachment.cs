using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace OmePortal.Core.Replies;

/// <summary>
/// An uploaded attachment held in memory once, already base64-encoded the way MimeKit writes it
/// (CRLF line breaks), so that <see cref="ReplyMime.Serialize"/> can splice it into the message
/// without a second copy. Remembers the raw length and the first bytes (to check the type by content).
/// </summary>
public sealed class EncodedAttachment : IDisposable
{
    /// <summary>How many leading raw bytes are kept for <see cref="AttachmentTypes.Detect"/>.</summary>
    public const int HeadLength = 512;

    private readonly MemoryStream _encoded = new();
    private readonly FilteredStream _encoder;
    private readonly byte[] _head = new byte[HeadLength];
    private bool _completed;

    public EncodedAttachment()
    {
        _encoder = new FilteredStream(_encoded);
        _encoder.Add(EncoderFilter.Create(ContentEncoding.Base64));
        _encoder.Add(new Unix2DosFilter());
    }

    /// <summary>Raw (decoded) bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>The first up to <see cref="HeadLength"/> raw bytes.</summary>
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, (int)Math.Min(Length, HeadLength));

    /// <summary>
    /// Copies <paramref name="source"/> in, encoding as it goes. Stops and returns false as soon as
    /// more than <paramref name="maxBytes"/> raw bytes would have been taken.
    /// </summary>
    public async Task<bool> CopyFromAsync(Stream source, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(_completed, this);
        var buffer = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (Length + read > maxBytes)
                return false;
            Write(buffer.AsSpan(0, read));
        }

        return true;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (_completed)
            throw new InvalidOperationException("The attachment is complete.");
        if (Length < HeadLength)
            data[..(int)Math.Min(data.Length, HeadLength - Length)].CopyTo(_head.AsSpan((int)Length));
        _encoder.Write(data);
        Length += data.Length;
    }

    /// <summary>Flushes the encoder and returns the base64 text (a read-only view, positioned at 0).</summary>
    public Stream Complete()
    {
        if (!_completed)
        {
            _encoder.Flush();
            _completed = true;
        }

        return new MemoryStream(_encoded.GetBuffer(), 0, (int)_encoded.Length, writable: false, publiclyVisible: true);
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _encoded.Dispose();
    }
}
