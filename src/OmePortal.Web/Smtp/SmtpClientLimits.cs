using System.Net;
using Microsoft.Extensions.Options;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Smtp;

/// <summary>
/// What one SMTP client may use, counted across its sessions: concurrent sessions (and all clients' together),
/// new connections per minute, failed AUTH attempts per minute. A client is an IPv4 address or an IPv6 /64
/// (one host usually holds a whole /64, so counting single IPv6 addresses would not limit anyone).
/// Minute counts are sliding windows estimated from two fixed windows, so each client costs a few fields.
/// </summary>
internal sealed class SmtpClientLimits(IOptions<SmtpGatewayOptions> options, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Past this many known clients, idle ones are dropped as new ones arrive.</summary>
    private const int SweepThreshold = 4096;

    private readonly SmtpGatewayOptions _options = options.Value;
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, ClientState> _clients = [];
    private int _sessions;

    /// <summary>Takes a session slot for a new connection, or says which limit refuses it.</summary>
    public Admission Admit(IPAddress? address)
    {
        var client = ClientOf(address);
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_clients.Count > SweepThreshold)
            {
                Sweep(now);
            }

            var state = StateOf(client);
            if (_sessions >= _options.MaxSessions)
            {
                return new Admission(null, SessionRefusal.GatewayFull);
            }

            if (state.Sessions >= _options.MaxSessionsPerClient)
            {
                return new Admission(null, SessionRefusal.ClientSessions);
            }

            // A refused attempt does not count: a client that waits gets in again once its earlier ones age out.
            if (state.Connections.Estimate(now, time) >= _options.MaxConnectionsPerClientPerMinute)
            {
                return new Admission(null, SessionRefusal.ClientRate);
            }

            state.Connections.Add(now, time);
            state.Sessions++;
            _sessions++;
            return new Admission(new Ticket(this, client), null);
        }
    }

    /// <summary>Whether this client has used up its failed AUTH attempts for now.</summary>
    public bool IsAuthenticationThrottled(IPAddress? address)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            return _clients.TryGetValue(ClientOf(address), out var state)
                && state.AuthFailures.Estimate(now, time) >= _options.MaxAuthFailuresPerClientPerMinute;
        }
    }

    public void RecordAuthenticationFailure(IPAddress? address)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            StateOf(ClientOf(address)).AuthFailures.Add(now, time);
        }
    }

    /// <summary>Sessions open now (for tests and logs).</summary>
    public int OpenSessions
    {
        get
        {
            lock (_lock)
            {
                return _sessions;
            }
        }
    }

    /// <summary>The key a client is counted under: IPv4 as it is, IPv6 by its /64, an unknown peer as one shared client.</summary>
    public static IPAddress ClientOf(IPAddress? address) => ClientAddress.ClientOf(address) ?? IPAddress.None;

    private ClientState StateOf(IPAddress client)
    {
        if (!_clients.TryGetValue(client, out var state))
        {
            state = new ClientState();
            _clients[client] = state;
        }

        return state;
    }

    private void Release(IPAddress client)
    {
        lock (_lock)
        {
            _sessions--;
            if (_clients.TryGetValue(client, out var state))
            {
                state.Sessions--;
            }
        }
    }

    private void Sweep(long now)
    {
        foreach (var (client, state) in _clients.ToList())
        {
            if (state.Sessions == 0 && state.Connections.IsIdle(now, time) && state.AuthFailures.IsIdle(now, time))
            {
                _clients.Remove(client);
            }
        }
    }

    private sealed class ClientState
    {
        public int Sessions;
        public SlidingCount Connections;
        public SlidingCount AuthFailures;
    }

    /// <summary>
    /// Events in the last minute, estimated as the current fixed window's count plus the previous window's count
    /// weighted by how much of it still overlaps the last minute.
    /// </summary>
    private struct SlidingCount
    {
        private long _windowStart;
        private int _current;
        private int _previous;

        public void Add(long now, TimeProvider time)
        {
            Roll(now, time);
            _current++;
        }

        public double Estimate(long now, TimeProvider time)
        {
            Roll(now, time);
            var intoWindow = time.GetElapsedTime(_windowStart, now) / Window;
            return _current + (_previous * Math.Max(0, 1 - intoWindow));
        }

        public readonly bool IsIdle(long now, TimeProvider time) =>
            (_current == 0 && _previous == 0) || time.GetElapsedTime(_windowStart, now) >= 2 * Window;

        private void Roll(long now, TimeProvider time)
        {
            if (_windowStart == 0)
            {
                _windowStart = now;
                return;
            }

            var elapsed = time.GetElapsedTime(_windowStart, now);
            if (elapsed < Window)
            {
                return;
            }

            _previous = elapsed < 2 * Window ? _current : 0;
            _current = 0;
            _windowStart = elapsed < 2 * Window ? _windowStart + (long)(Window.TotalSeconds * time.TimestampFrequency) : now;
        }
    }

    /// <summary>A session slot: given back once when the session's connection is disposed.</summary>
    public sealed class Ticket(SmtpClientLimits owner, IPAddress client) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(client);
            }
        }
    }
}

internal enum SessionRefusal
{
    GatewayFull,
    ClientSessions,
    ClientRate,
}

internal readonly record struct Admission(SmtpClientLimits.Ticket? Ticket, SessionRefusal? Refusal);
