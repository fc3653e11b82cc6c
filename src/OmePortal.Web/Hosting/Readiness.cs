namespace OmePortal.Web.Hosting;

/// <summary>Flips to ready once start-up work (migrations, keys, bootstrap, listeners) is done; /healthz/ready reports it (Telemetry/PortalHealthChecks.cs).</summary>
public sealed class Readiness
{
    private int _pendingComponents;
    private volatile bool _initialized;

    public bool IsReady => _initialized && Volatile.Read(ref _pendingComponents) == 0;

    /// <summary>A component (e.g. the SMTP listener) that must be up before the portal is ready.</summary>
    public void Expect() => Interlocked.Increment(ref _pendingComponents);

    public void Arrived() => Interlocked.Decrement(ref _pendingComponents);

    public void MarkInitialized() => _initialized = true;
}
