using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;
using SmtpServer.Protocol;

namespace OmePortal.Web.Smtp;

/// <summary>
/// Accepts the gateway's connections in place of SmtpServer's own listener, for two things that library has no
/// hook for: a connection over the session limits is answered 421 and closed before SmtpServer sees it, and
/// every admitted session reads through an <see cref="SmtpInputGuard"/>.
/// </summary>
internal sealed class GuardedEndpointListenerFactory(
    SmtpGatewayOptions options,
    SmtpClientLimits limits,
    TimeProvider time,
    ILogger logger) : IEndpointListenerFactory
{
    /// <summary>Raised with the bound address once the listener listens.</summary>
    public event EventHandler<EndPoint>? Started;

    public IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new TcpListener(endpointDefinition.Endpoint);
        listener.Start();
        Started?.Invoke(this, listener.LocalEndpoint);
        return new GuardedEndpointListener(listener, options, limits, time, logger);
    }
}

internal sealed class GuardedEndpointListener(
    TcpListener listener,
    SmtpGatewayOptions options,
    SmtpClientLimits limits,
    TimeProvider time,
    ILogger logger) : IEndpointListener
{
    public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = await listener.AcceptSocketAsync(cancellationToken);
            var remote = socket.RemoteEndPoint as IPEndPoint;
            var admission = limits.Admit(remote?.Address);
            if (admission.Ticket is not { } ticket)
            {
                SmtpLog.SessionRefused(logger, remote?.Address, admission.Refusal!.Value);
                Refuse(socket, admission.Refusal.Value);
                continue;
            }

            socket.NoDelay = true;
            context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
            context.Properties[EndpointListener.RemoteEndPointKey] = remote!;
            return new GuardedPipe(socket, ticket, context, options, time, logger);
        }
    }

    public void Dispose() => listener.Stop();

    /// <summary>421 and close, from the accept loop: the reply fits an empty socket buffer, so this never waits.</summary>
    private void Refuse(Socket socket, SessionRefusal refusal)
    {
        var text = refusal switch
        {
            SessionRefusal.GatewayFull => "4.3.2 Too many sessions, try again later",
            SessionRefusal.ClientSessions => "4.7.0 Too many sessions from your address, try again later",
            _ => "4.7.0 Too many connections from your address in the last minute, try again later",
        };
        try
        {
            socket.Send(Encoding.ASCII.GetBytes($"421 {options.ServerName} {text}\r\n"), SocketFlags.None);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}

/// <summary>One session's connection: the socket, TLS once STARTTLS is done, and the guard SmtpServer reads through.</summary>
internal sealed class GuardedPipe : ISecurableDuplexPipe
{
    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private readonly SmtpClientLimits.Ticket _ticket;
    private readonly ISessionContext _context;
    private readonly SmtpGatewayOptions _options;
    private readonly SmtpInputGuard _guard;
    private SslStream? _tls;
    private int _disposed;

    public GuardedPipe(Socket socket, SmtpClientLimits.Ticket ticket, ISessionContext context, SmtpGatewayOptions options, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        _network = new NetworkStream(socket, ownsSocket: true);
        _ticket = ticket;
        _context = context;
        _options = options;
        _guard = new SmtpInputGuard(socket, _network, options, time, (reason, limit) => SmtpLog.SessionCut(logger, context.SessionId, reason, limit));
        (Input, Output) = Pipes(_guard);
        context.CommandExecuting += OnCommandExecuting;
        context.CommandExecuted += OnCommandExecuted;
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public bool IsSecure => _tls is not null;

    public SslProtocols SslProtocol => _tls?.SslProtocol ?? SslProtocols.None;

    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        // The handshake is bounded like any other wait for the client.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.CommandTimeout);
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        await tls.AuthenticateAsServerAsync(
            new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = protocols, ClientCertificateRequired = false },
            timeout.Token);
        _tls = tls;
        _guard.UseTransport(tls);

        // Whatever the client sent after STARTTLS in the clear is dropped with the old reader (no command injection).
        await Input.CompleteAsync();
        (Input, Output) = Pipes(_guard);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _context.CommandExecuting -= OnCommandExecuting;
        _context.CommandExecuted -= OnCommandExecuted;
        try
        {
            _tls?.Dispose();
            _network.Dispose();
        }
        catch (IOException)
        {
        }
        finally
        {
            _socket.Dispose();
            _ticket.Dispose();
        }
    }

    private static (PipeReader, PipeWriter) Pipes(Stream stream) => (
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true)),
        PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));

    private void OnCommandExecuting(object? sender, SmtpCommandEventArgs e)
    {
        if (e.Command is DataCommand)
        {
            var limit = SmtpSessionState.Get(_context).TransactionLimit;
            _guard.BeginData(limit > 0 ? limit : _options.MaxMessageBytes ?? SmtpGatewayOptionsValidator.MaxSupportedMessageBytes);
        }
    }

    private void OnCommandExecuted(object? sender, SmtpCommandEventArgs e)
    {
        if (e.Command is DataCommand)
        {
            _guard.EndData();
        }
    }
}
