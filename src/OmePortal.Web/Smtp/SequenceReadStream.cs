using System.Buffers;

namespace OmePortal.Web.Smtp;

/// <summary>
/// A read-only, seekable view of the bytes SmtpServer received, plus the final CRLF it strips: the message is read
/// where it lies in the session's receive buffers, never copied whole. Valid only while the store's SaveAsync runs
/// (SmtpServer releases the buffers after it).
/// </summary>
internal sealed class SequenceReadStream : Stream
{
    private static readonly ReadOnlySequence<byte> Crlf = new("\r\n"u8.ToArray());

    private readonly ReadOnlySequence<byte> _content;
    private readonly ReadOnlySequence<byte> _suffix;
    private long _position;

    private SequenceReadStream(ReadOnlySequence<byte> content, ReadOnlySequence<byte> suffix)
    {
        _content = content;
        _suffix = suffix;
    }

    /// <summary>
    /// The message as SmtpServer hands it over: the content between DATA and the terminating CRLF.CRLF
    /// (dot-unstuffed) without the last CRLF, which belongs to the message and is given back here.
    /// </summary>
    public static SequenceReadStream ForMessage(ReadOnlySequence<byte> received) =>
        new(received, EndsWithCrlf(received) ? ReadOnlySequence<byte>.Empty : Crlf);

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _content.Length + _suffix.Length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var copied = 0;
        copied += CopyFrom(_content, _position, buffer);
        copied += CopyFrom(_suffix, _position + copied - _content.Length, buffer[copied..]);
        _position += copied;
        return copied;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(buffer.AsSpan(offset, count)));
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Copies from <paramref name="source"/> at <paramref name="at"/> (relative to it) into the buffer; 0 when outside it.</summary>
    private static int CopyFrom(ReadOnlySequence<byte> source, long at, Span<byte> buffer)
    {
        if (buffer.IsEmpty || at < 0 || at >= source.Length)
        {
            return 0;
        }

        var slice = source.Slice(at, Math.Min(source.Length - at, buffer.Length));
        slice.CopyTo(buffer);
        return (int)slice.Length;
    }

    private static bool EndsWithCrlf(ReadOnlySequence<byte> received)
    {
        if (received.Length < 2)
        {
            return false;
        }

        Span<byte> tail = stackalloc byte[2];
        received.Slice(received.Length - 2).CopyTo(tail);
        return tail[0] == '\r' && tail[1] == '\n';
    }
}
