namespace OmePortal.Testing;

/// <summary>
/// A clock that stands still until a test moves it, for rules that depend on the time (passcode
/// lifetime, resend throttle, cool-down). Only <see cref="GetUtcNow"/> is manual: timers, delays and
/// timestamps stay real, so background services keep running. Give it to a
/// <see cref="PortalHost"/> through <see cref="PortalHost.ServiceOverrides"/>:
/// <code>new PortalHost { ServiceOverrides = s => s.AddSingleton&lt;TimeProvider&gt;(clock) }</code>
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = start.ToUniversalTime();

    /// <summary>Starts at the real current time (so rows it stamps sort among real ones), truncated to the millisecond.</summary>
    public ManualTimeProvider()
        : this(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))
    {
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <summary>Moves the clock forward (or, with a negative value, back).</summary>
    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
        }
    }

    /// <summary>Sets the clock.</summary>
    public void Set(DateTimeOffset now)
    {
        lock (_gate)
        {
            _now = now.ToUniversalTime();
        }
    }
}
