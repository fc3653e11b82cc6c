using System.Net.Sockets;
using System.Text;

namespace OmePortal.Web.Smtp;

/// <summary>
/// The stream SmtpServer reads a session from, between it and the socket (or the TLS stream after STARTTLS).
/// SmtpServer keeps every byte of a command line until its CRLF, and every byte of a DATA block until its
/// final dot, before any code of ours sees them; so the bounds are kept here, on the bytes as they arrive:
/// <list type="bullet">
/// <item>a command line longer than <see cref="SmtpGatewayOptions.MaxCommandLineBytes"/> ends the session with 500;</item>
/// <item>a DATA block that passes the transaction's size limit ends it with 552 (the limit comes from MAIL FROM:
/// the tenant's, or the gateway's when smaller);</item>
/// <item>waiting longer than <see cref="SmtpGatewayOptions.CommandTimeout"/> for input, or past the session's
/// <see cref="SmtpGatewayOptions.SessionTimeout"/>, ends it with 421.</item>
/// </list>
/// Ending a session: the reply is written, the sending side shut, what the client still sends is read and thrown
/// away for a moment (so its TCP stack delivers the reply instead of a reset), then SmtpServer reads end of stream
/// and closes the session; anything it writes after that is dropped.
/// </summary>
internal sealed class SmtpInputGuard : Stream
{
    /// <summary>Bytes a client may pipeline after a DATA block's final dot while the message is being stored.</summary>
    public const int MaxBytesAfterData = 64 * 1024;

    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);
    private const int LingerBytes = 4 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly SmtpGatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<SessionCut, long> _onCut;
    private readonly long _sessionDeadline;
    private Stream _transport;
    private bool _cut;

    private bool _inData;
    private long _lineBytes;
    private DataState _dataState;
    private bool _lastWasCr;
    private long _dataBytes;
    private long _dataLimit;
    private long _afterDataBytes;

    public SmtpInputGuard(Socket socket, Stream transport, SmtpGatewayOptions options, TimeProvider time, Action<SessionCut, long> onCut)
    {
        _socket = socket;
        _transport = transport;
        _options = options;
        _time = time;
        _onCut = onCut;
        _sessionDeadline = time.GetTimestamp() + (long)(options.SessionTimeout.TotalSeconds * time.TimestampFrequency);
    }

    private enum DataState
    {
        Text,
        LineStart,
        Dot,
        DotCr,
        Ended,
    }

    public bool IsCut => _cut;

    /// <summary>After STARTTLS: the same counters, over the TLS stream.</summary>
    public void UseTransport(Stream transport)
    {
        _transport = transport;
        _lineBytes = 0;
    }

    /// <summary>SmtpServer starts reading a DATA block: count its bytes against the transaction's limit.</summary>
    public void BeginData(long limit)
    {
        _inData = true;
        _dataLimit = limit;
        _dataBytes = 0;
        _afterDataBytes = 0;

        // SmtpServer ends a block at CRLF "." CRLF, so a dot right after "DATA" CRLF is content, not an end.
        _dataState = DataState.Text;
        _lastWasCr = false;
    }

    /// <summary>The DATA command is done (stored, refused, or never started): back to command lines.</summary>
    public void EndData()
    {
        _inData = false;
        _lineBytes = 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_cut)
        {
            return 0;
        }

        var left = _time.GetElapsedTime(_time.GetTimestamp(), _sessionDeadline);
        if (left <= TimeSpan.Zero)
        {
            return await CutAsync(SessionCut.SessionTimeout, 0);
        }

        var wait = left < _options.CommandTimeout ? left : _options.CommandTimeout;
        using var timeout = new CancellationTokenSource(wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        int read;
        try
        {
            read = await _transport.ReadAsync(buffer, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return await CutAsync(wait < _options.CommandTimeout ? SessionCut.SessionTimeout : SessionCut.CommandTimeout, 0);
        }

        if (read == 0)
        {
            return 0;
        }

        var cut = _inData ? ScanData(buffer.Span[..read]) : ScanCommandLines(buffer.Span[..read]);

        // The bytes that passed a limit are not handed on: SmtpServer never buffers them.
        return cut is { } reason ? await CutAsync(reason, reason == SessionCut.MessageTooLarge ? _dataLimit : _options.MaxCommandLineBytes) : read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The SMTP session is read asynchronously only.");

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_cut)
        {
            await _transport.WriteAsync(buffer, cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (!_cut)
        {
            _transport.Write(buffer, offset, count);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _cut ? Task.CompletedTask : _transport.FlushAsync(cancellationToken);

    public override void Flush()
    {
        if (!_cut)
        {
            _transport.Flush();
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private SessionCut? ScanCommandLines(ReadOnlySpan<byte> bytes)
    {
        while (true)
        {
            var lf = bytes.IndexOf((byte)'\n');
            var length = lf < 0 ? bytes.Length : lf + 1;
            if (_lineBytes + length > _options.MaxCommandLineBytes)
            {
                return SessionCut.LineTooLong;
            }

            if (lf < 0)
            {
                _lineBytes += length;
                return null;
            }

            _lineBytes = 0;
            bytes = bytes[length..];
        }
    }

    /// <summary>
    /// Counts the message as SmtpServer will hand it over: stuffed dots (a line starting "..") count once, the
    /// final "." CRLF not at all; so the count is the message size the store checks, and it can stop early.
    /// </summary>
    private SessionCut? ScanData(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            switch (_dataState)
            {
                case DataState.Text:
                    var lf = bytes[i..].IndexOf((byte)'\n');
                    if (lf < 0)
                    {
                        _dataBytes += bytes.Length - i;
                        _lastWasCr = bytes[^1] == '\r';
                        i = bytes.Length;
                        break;
                    }

                    var crlf = lf > 0 ? bytes[i + lf - 1] == '\r' : _lastWasCr;
                    _dataBytes += lf + 1;
                    i += lf + 1;
                    _lastWasCr = false;
                    if (crlf)
                    {
                        _dataState = DataState.LineStart;
                    }

                    break;
                case DataState.LineStart:
                    if (bytes[i] == '.')
                    {
                        _dataState = DataState.Dot;
                        i++;
                    }
                    else
                    {
                        _dataState = DataState.Text;
                    }

                    break;
                case DataState.Dot:
                    if (bytes[i] == '\r')
                    {
                        _dataState = DataState.DotCr;
                        i++;
                    }
                    else if (bytes[i] == '.')
                    {
                        _dataBytes++;
                        _dataState = DataState.Text;
                        i++;
                    }
                    else
                    {
                        // A lone dot at a line start: SmtpServer keeps it.
                        _dataBytes++;
                        _dataState = DataState.Text;
                    }

                    break;
                case DataState.DotCr:
                    if (bytes[i] == '\n')
                    {
                        _dataState = DataState.Ended;
                        i++;
                    }
                    else
                    {
                        _dataBytes += 2;
                        _lastWasCr = true;
                        _dataState = DataState.Text;
                    }

                    break;
                default:
                    // Pipelined commands after the final dot, read while the message is stored.
                    _afterDataBytes += bytes.Length - i;
                    i = bytes.Length;
                    break;
            }

            if (_dataBytes > _dataLimit)
            {
                return SessionCut.MessageTooLarge;
            }
        }

        return _afterDataBytes > MaxBytesAfterData ? SessionCut.LineTooLong : null;
    }

    private async ValueTask<int> CutAsync(SessionCut reason, long limit)
    {
        _cut = true;
        _onCut(reason, limit);
        var reply = reason switch
        {
            SessionCut.LineTooLong => "500 5.5.2 Line too long, closing connection",
            SessionCut.MessageTooLarge => $"552 5.3.4 Message size exceeds the limit of {limit} bytes, closing connection",
            SessionCut.CommandTimeout => "421 4.4.2 Timeout waiting for input, closing connection",
            _ => "421 4.4.2 Session time limit reached, closing connection",
        };

        using var bounded = new CancellationTokenSource(LingerTime, _time);
        try
        {
            await _transport.WriteAsync(Encoding.ASCII.GetBytes($"{reply}\r\n"), bounded.Token);
            await _transport.FlushAsync(bounded.Token);
            _socket.Shutdown(SocketShutdown.Send);

            var scratch = new byte[16 * 1024];
            var drained = 0;
            int read;
            while (drained < LingerBytes && (read = await _transport.ReadAsync(scratch, bounded.Token)) > 0)
            {
                drained += read;
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // The client went away or kept sending past the linger: the session ends all the same.
        }

        return 0;
    }
}

/// <summary>Why the guard ended a session.</summary>
internal enum SessionCut
{
    LineTooLong,
    MessageTooLarge,
    CommandTimeout,
    SessionTimeout,
}
