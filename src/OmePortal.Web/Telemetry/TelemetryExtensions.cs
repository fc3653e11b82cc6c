using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Smtp;
using OmePortal.Web.Storage;
using OmePortal.Web.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

public static class TelemetryExtensions
{
    /// <summary>Where Prometheus scrapes, when <c>OmePortal:Telemetry:Prometheus:Enabled</c>.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Metrics, traces, health checks and JSON logs (docs/ARCHITECTURE.md §14). The instruments always count (at no
    /// cost while nothing listens); an OpenTelemetry provider exists only when something exports: OTLP when an
    /// endpoint is configured, Prometheus when enabled. Call after <c>AddStorage</c>: it times the blob store there.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => NetworkAllowList.TryParse(o.Prometheus.EffectiveAllowedNetworks, out _, out _),
                "OmePortal:Telemetry:Prometheus:AllowedNetworks must hold IP addresses or CIDR ranges (host bits zero, e.g. 10.1.0.0/16).")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

        if (builder.Configuration.GetValue<bool>("OmePortal:Logging:Json"))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                // ASP.NET Core's request scope holds the request path, and paths hold link tokens (/m/{token}).
                o.IncludeScopes = false;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        builder.Services.AddSingleton<PortalMetrics>();
        builder.Services.AddSingleton<DatabaseTiming>();
        builder.Services.ConfigureDbContext<SqliteOmePortalDbContext>((sp, o) => o.AddInterceptors(sp.GetRequiredService<DatabaseTiming>()));
        builder.Services.ConfigureDbContext<PostgresOmePortalDbContext>((sp, o) => o.AddInterceptors(sp.GetRequiredService<DatabaseTiming>()));
        MeasureBlobStore(builder.Services);
        CountRateLimitRefusals(builder.Services);
        AddHealth(builder.Services);

        builder.Services.ConfigureOpenTelemetryTracerProvider(ConfigureTracing);
        builder.Services.ConfigureOpenTelemetryMeterProvider(ConfigureMetrics);
        var otlp = options.Otlp.Endpoint is not null || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (otlp || options.Prometheus.Enabled)
        {
            var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService(options.ServiceName));
            telemetry.WithMetrics(metrics =>
            {
                if (otlp)
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = options.Otlp.Endpoint ?? o.Endpoint);
                }

                if (options.Prometheus.Enabled)
                {
                    metrics.AddPrometheusExporter();
                }
            });
            if (otlp)
            {
                telemetry.WithTracing(tracing => tracing.AddOtlpExporter(o => o.Endpoint = options.Otlp.Endpoint ?? o.Endpoint));
            }
        }

        return builder;
    }

    /// <summary>The sources and instrumentation of every trace the portal exports, whatever the exporter.</summary>
    public static void ConfigureTracing(TracerProviderBuilder tracing) => tracing
        .AddSource(PortalActivities.SourceName)
        .AddAspNetCoreInstrumentation(o =>
        {
            // Link tokens and message ids travel in paths (/m/{token}); a span keeps the route template only.
            o.EnrichWithHttpRequest = (activity, _) => RedactUrl(activity, route: null);
            o.EnrichWithHttpResponse = (activity, response) =>
                RedactUrl(activity, (response.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText);
            o.RecordException = false;
        })
        .AddEntityFrameworkCoreInstrumentation()
        // Parameter values are addresses, token hashes and sealed payloads. EF's instrumentation leaves them out unless
        // an experimental environment variable says otherwise; this processor removes them whatever it says.
        .AddProcessor(new QueryParameterScrubber());

    /// <summary>The portal's meter and the framework's HTTP, Kestrel and rate-limiting meters (their labels are routes and status codes).</summary>
    public static void ConfigureMetrics(MeterProviderBuilder metrics) => metrics
        .AddMeter(PortalMetrics.MeterName)
        .AddAspNetCoreInstrumentation();

    /// <summary>
    /// <c>GET /metrics</c> for Prometheus, when enabled, only for clients in <c>AllowedNetworks</c> (the client
    /// address after the forwarded-headers step, so the real client behind a known proxy); anyone else gets 404,
    /// as if there were no such page.
    /// </summary>
    public static IEndpointRouteBuilder MapTelemetry(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!options.Prometheus.Enabled)
        {
            return app;
        }

        var allowed = options.Prometheus.AllowList();
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
        {
            if (!allowed.Contains(context.Connection.RemoteIpAddress))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        }), optionsName: null);
        return app;
    }

    /// <summary>
    /// <c>/healthz/live</c>: the process answers (no check runs). <c>/healthz/ready</c> and <c>/healthz</c>: start-up done,
    /// database, blob store, Redis when configured, SMTP listener when enabled; 200 "ok" or 503 with the failing checks' names.
    /// </summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var ready = new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteHealthAsync };
        app.MapHealthChecks("/healthz", ready);
        app.MapHealthChecks("/healthz/ready", ready);
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        return app;
    }

    private static void AddHealth(IServiceCollection services) => services.AddHealthChecks()
        .AddCheck<StartupHealthCheck>("startup", tags: [HealthTags.Ready])
        .AddCheck<DatabaseHealthCheck>("database", tags: [HealthTags.Ready], timeout: TimeSpan.FromSeconds(5))
        .AddCheck<BlobStoreHealthCheck>("blobs", tags: [HealthTags.Ready], timeout: TimeSpan.FromSeconds(5))
        .AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready], timeout: TimeSpan.FromSeconds(3))
        .AddCheck<SmtpListenerHealthCheck>("smtp", tags: [HealthTags.Ready]);

    /// <summary>Names of failing checks only: a check's description or exception could say more than a probe should learn.</summary>
    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        if (report.Status != HealthStatus.Unhealthy)
        {
            return context.Response.WriteAsync("ok");
        }

        var failing = report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => e.Key);
        return context.Response.WriteAsync("unhealthy: " + string.Join(", ", failing));
    }

    private static void RedactUrl(Activity activity, string? route)
    {
        activity.SetTag("url.path", route is null ? null : "/" + route.TrimStart('/'));
        activity.SetTag("url.query", null);
        activity.SetTag("url.full", null);
    }

    /// <summary>Wraps whatever blob store the storage feature registered (files or Azure Blob) in a timer.</summary>
    private static void MeasureBlobStore(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IBlobStore))
            ?? throw new InvalidOperationException("AddTelemetry must come after AddStorage.");
        services.Remove(registered);
        services.Add(ServiceDescriptor.Describe(
            typeof(IBlobStore),
            sp => new MeasuredBlobStore(Resolve(sp, registered), sp.GetRequiredService<PortalMetrics>()),
            registered.Lifetime));
    }

    private static IBlobStore Resolve(IServiceProvider services, ServiceDescriptor descriptor) => (IBlobStore)(
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    /// <summary>Counts every 429 by its policy, after (and besides) whatever the limiter's own rejection handler does.</summary>
    private static void CountRateLimitRefusals(IServiceCollection services) =>
        services.AddOptions<RateLimiterOptions>().PostConfigure<PortalMetrics>((limiter, metrics) =>
        {
            var previous = limiter.OnRejected;
            limiter.OnRejected = (context, cancellationToken) =>
            {
                var policy = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;
                metrics.RateLimited(policy ?? "global");
                return previous?.Invoke(context, cancellationToken) ?? ValueTask.CompletedTask;
            };
        });
}
