using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Hosting;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Net;
using SmtpServer.Storage;
using SmtpServerHost = SmtpServer.SmtpServer;

namespace OmePortal.Web.Smtp;

/// <summary>
/// Runs the SmtpServer listener inside the web process. Start-up waits until the socket is actually
/// listening (then tells <see cref="Readiness"/>) and fails the host if it cannot bind; stopping stops
/// accepting, gives sessions in flight a moment to finish, then cancels whatever is left.
/// </summary>
internal sealed class SmtpGatewayService : IHostedService, ISmtpGatewayCertificate, IDisposable
{
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(5);

    /// <summary>How much later SmtpServer's own timeouts fire than the guard's (which answer 421 first).</summary>
    private static readonly TimeSpan BackstopMargin = TimeSpan.FromMinutes(1);

    private readonly SmtpGatewayOptions _options;
    private readonly OmePortalOptions _portal;
    private readonly IntakeOptions _intake;
    private readonly IServiceScopeFactory _scopes;
    private readonly Readiness _readiness;
    private readonly SmtpConnectorFilter _filter;
    private readonly SmtpMessageStore _store;
    private readonly SmtpApiKeyAuthenticator _authenticator;
    private readonly SmtpClientLimits _limits;
    private readonly TimeProvider _time;
    private readonly ILogger<SmtpGatewayService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private SmtpServerHost? _server;
    private Task? _running;
    private X509Certificate2? _certificate;
    private int _disposed;
    private int _stopped;

    /// <summary>The STARTTLS certificate in use once started; null while stopped or disabled.</summary>
    public X509Certificate2? Certificate => _certificate;

    public SmtpGatewayService(
        IOptions<SmtpGatewayOptions> options,
        IOptions<OmePortalOptions> portal,
        IOptions<IntakeOptions> intake,
        IServiceScopeFactory scopes,
        Readiness readiness,
        SmtpConnectorFilter filter,
        SmtpMessageStore store,
        SmtpApiKeyAuthenticator authenticator,
        SmtpClientLimits limits,
        TimeProvider time,
        ILogger<SmtpGatewayService> logger)
    {
        _options = options.Value;
        _portal = portal.Value;
        _intake = intake.Value;
        _scopes = scopes;
        _readiness = readiness;
        _filter = filter;
        _store = store;
        _authenticator = authenticator;
        _limits = limits;
        _time = time;
        _logger = logger;
        if (_options.Enabled)
        {
            // The portal is not ready until the SMTP listener is up (or start-up failed).
            _readiness.Expect();
        }
    }

    /// <summary>Where the listener is bound, once started.</summary>
    public EndPoint? LocalEndPoint { get; private set; }

    /// <summary>Started, bound and not stopped or failed since: the readiness check asks.</summary>
    public bool IsListening => LocalEndPoint is not null && _running is { IsCompleted: false } && Volatile.Read(ref _stopped) == 0;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            SmtpLog.Disabled(_logger);
            return;
        }

        _certificate = SmtpCertificates.Load(_options, _portal.ResolveDataPath(), _time, _logger);
        var advertisedSize = await AdvertisedSizeAsync(cancellationToken);

        var serverOptions = new SmtpServerOptionsBuilder()
            .ServerName(_options.ServerName)
            .Endpoint(endpoint => endpoint
                .Endpoint(new IPEndPoint(_options.ListenAddress()!, _options.Port))
                .IsSecure(false)
                .AuthenticationRequired(false)
                .AllowUnsecureAuthentication(false)
                .Certificate(_certificate)
                .SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                // A backstop only: SmtpInputGuard ends a session at SessionTimeout with 421 whenever it waits for
                // input; this one would also cancel a message being stored, so it comes later.
                .SessionTimeout(_options.SessionTimeout + BackstopMargin))
            // Ignore: SmtpServer advertises SIZE and checks a declared size. Its Strict mode counts against the one
            // advertised size, not the transaction's tenant; SmtpInputGuard cuts DATA at the transaction's limit
            // as the bytes arrive, and the store checks the exact size again.
            .MaxMessageSize((int)advertisedSize, MaxMessageSizeHandling.Ignore)
            .MaxAuthenticationAttempts(3)
            .CommandWaitTimeout(_options.CommandTimeout + BackstopMargin)
            .Build();

        var listeners = new GuardedEndpointListenerFactory(_options, _limits, _time, _logger);
        var listening = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        listeners.Started += (_, endPoint) => listening.TrySetResult(endPoint);

        var services = new GatewayServices(listeners, _filter, _store, _options.AllowAuthentication ? _authenticator : null);
        var server = new SmtpServerHost(serverOptions, services);
        server.SessionCreated += (_, e) =>
        {
            SmtpLog.SessionOpened(_logger, e.Context.SessionId, SmtpSessionState.RemoteAddress(e.Context));
            SmtpSessionState.Get(e.Context).Activity = Telemetry.SessionActivity.Start(e.Context.SessionId);
        };
        server.SessionCompleted += (_, e) =>
        {
            SmtpLog.SessionClosed(_logger, e.Context.SessionId);
            Telemetry.SessionActivity.Stop(SmtpSessionState.Get(e.Context).Activity, fault: null);
        };
        server.SessionFaulted += (_, e) =>
        {
            SmtpLog.SessionFaulted(_logger, e.Context.SessionId, e.Exception.GetType().Name);
            Telemetry.SessionActivity.Stop(SmtpSessionState.Get(e.Context).Activity, e.Exception.GetType().Name);
        };
        _server = server;
        _running = Task.Run(() => server.StartAsync(_stopping.Token), CancellationToken.None);

        var first = await Task.WhenAny(listening.Task, _running).WaitAsync(cancellationToken);
        if (first != listening.Task)
        {
            // The listener ended before it listened (typically: the port is taken). Fail the host.
            await _running;
            throw new InvalidOperationException($"The SMTP listener on {_options.Host}:{_options.Port} stopped before it started listening.");
        }

        LocalEndPoint = await listening.Task;
        _ = _running.ContinueWith(
            t => SmtpLog.ListenerFailed(_logger, t.Exception!.GetBaseException()),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
        SmtpLog.Listening(_logger, LocalEndPoint, _certificate.Thumbprint, advertisedSize);
        _readiness.Arrived();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host may stop its services twice (a test host stops, then disposes): stop once.
        if (_server is null || _running is null || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // Stop accepting, let transactions in flight finish (each answers only after its commit) …
        try
        {
            _server.Shutdown();
            await _server.ShutdownTask.WaitAsync(DrainTime, cancellationToken);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
        }
        catch (Exception exception)
        {
            SmtpLog.ListenerFailed(_logger, exception);
        }

        // … then cancel what is left: an unfinished transaction gets no 250, so its sender retries.
        await _stopping.CancelAsync();
        try
        {
            await _running.WaitAsync(DrainTime, CancellationToken.None);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
        }
        catch (Exception exception)
        {
            SmtpLog.ListenerFailed(_logger, exception);
        }

        SmtpLog.Stopped(_logger);
    }

    public void Dispose()
    {
        // Registered as a singleton and handed out as a hosted service: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The token source is cancelled but not disposed: a test host may dispose the container while a
        // StopAsync is still draining and about to cancel it (it holds no timer, so nothing leaks).
        _stopping.Cancel();
        _certificate?.Dispose();
    }

    /// <summary>The SIZE value: the configured cap, else the limit of the connector's tenant, else the default for new tenants.</summary>
    private async Task<long> AdvertisedSizeAsync(CancellationToken cancellationToken)
    {
        long? tenantLimit = null;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            tenantLimit = await db.Tenants.AsNoTracking()
                .Where(t => t.Slug == _options.TenantSlug)
                .Select(t => (long?)t.MaxMessageBytes)
                .SingleOrDefaultAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            SmtpLog.TenantLookupFailed(_logger, Guid.Empty, exception);
        }

        var size = _options.MaxMessageBytes ?? tenantLimit ?? _intake.DefaultMaxMessageBytes;
        return Math.Clamp(size, 1, SmtpGatewayOptionsValidator.MaxSupportedMessageBytes);
    }

    /// <summary>
    /// The components SmtpServer asks for. Anything not listed falls back to the library's default;
    /// returning no authenticator makes it not offer AUTH at all.
    /// </summary>
    private sealed class GatewayServices(
        IEndpointListenerFactory listeners,
        IMailboxFilter filter,
        IMessageStore store,
        IUserAuthenticator? authenticator) : IServiceProvider
    {
        public object? GetService(Type serviceType)
        {
            if (serviceType == typeof(IEndpointListenerFactory))
            {
                return listeners;
            }

            if (serviceType == typeof(IMailboxFilter))
            {
                return filter;
            }

            if (serviceType == typeof(IMessageStore))
            {
                return store;
            }

            if (serviceType == typeof(IUserAuthenticator))
            {
                return authenticator;
            }

            return null;
        }
    }
}
