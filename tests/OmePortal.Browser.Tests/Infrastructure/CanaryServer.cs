using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// A tiny HTTP server on another loopback port (a different origin from the portal) that hostile
/// payloads try to reach. Every request it receives is recorded: a hit means something escaped.
/// It answers 200 with a 1×1 GIF so a leaked image would even "work".
/// </summary>
public sealed class CanaryServer : IAsyncDisposable
{
    private static readonly byte[] Gif = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<string> _hits = new();

    public CanaryServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>http://127.0.0.1:PORT — never the portal's origin (the portal is served as http://localhost:OTHERPORT).</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The request lines received so far ("GET /path HTTP/1.1").</summary>
    public IReadOnlyList<string> Hits => [.. _hits];

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var received = new StringBuilder();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, timeout.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    received.Append(Encoding.Latin1.GetString(buffer, 0, read));
                }

                var requestLine = received.ToString().Split("\r\n", 2)[0];
                _hits.Enqueue(requestLine.Length == 0 ? "(connection without a request)" : requestLine);
                var header = Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: {Gif.Length}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(header, timeout.Token);
                await stream.WriteAsync(Gif, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                _hits.Enqueue("(connection: " + ex.GetType().Name + ")");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
