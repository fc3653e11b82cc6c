using OmePortal.Web.Smtp;

namespace OmePortal.Web.Telemetry;

/// <summary>
/// <c>OmePortal:Telemetry</c>: where traces and metrics go. Nothing is collected unless something exports it
/// (an OTLP endpoint, or the Prometheus scrape endpoint); see docs/ARCHITECTURE.md §14 for what may be exported.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "OmePortal:Telemetry";

    /// <summary>The <c>service.name</c> resource attribute.</summary>
    public string ServiceName { get; set; } = "omeportal";

    public OtlpTelemetryOptions Otlp { get; set; } = new();

    public PrometheusTelemetryOptions Prometheus { get; set; } = new();
}

public sealed class OtlpTelemetryOptions
{
    /// <summary>The collector (e.g. <c>http://collector:4317</c>); the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> works too.</summary>
    public Uri? Endpoint { get; set; }
}

public sealed class PrometheusTelemetryOptions
{
    /// <summary>Serve <c>/metrics</c> in the Prometheus text format.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// CIDR ranges or addresses that may scrape; everyone else gets 404. Null or empty: loopback only.
    /// (An array default would be appended to by the configuration binder, so the default is applied here.)
    /// </summary>
    public string[]? AllowedNetworks { get; set; }

    public IReadOnlyList<string> EffectiveAllowedNetworks =>
        AllowedNetworks is { Length: > 0 } configured ? configured : ["127.0.0.0/8", "::1"];

    internal NetworkAllowList AllowList() => NetworkAllowList.Parse(EffectiveAllowedNetworks);
}
