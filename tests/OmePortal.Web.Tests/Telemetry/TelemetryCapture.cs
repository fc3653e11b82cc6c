using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OmePortal.Web.Tests.Telemetry;

/// <summary>
/// Everything a portal exports while a test runs: spans and metrics through OpenTelemetry's in-memory exporters
/// (beside the portal's own instrumentation, as an OTLP exporter would see them) and every log entry at every level.
/// OpenTelemetry's listeners are process-wide, so spans of other hosts running at the same time may be captured too;
/// a scan for this test's unique markers only gets stricter for that.
/// </summary>
internal sealed class TelemetryCapture
{
    public List<Activity> Activities { get; } = [];

    public List<Metric> Metrics { get; } = [];

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>For <see cref="OmePortal.Testing.PortalHost.ServiceOverrides"/>: switches the providers on with the in-memory exporters.</summary>
    public void Install(IServiceCollection services)
    {
        services.AddOpenTelemetry()
            .WithTracing(t => t.AddInMemoryExporter(Activities))
            .WithMetrics(m => m.AddInMemoryExporter(Metrics));
        services.AddSingleton<ILoggerProvider>(Logs);
        services.Configure<LoggerFilterOptions>(o =>
        {
            // Everything, at every level, except the framework's request and routing logs below Warning: they name the
            // request path, and the portal ships them off ("Microsoft.AspNetCore": "Warning", README "Monitoring").
            var provider = typeof(CapturingLoggerProvider).FullName;
            o.MinLevel = LogLevel.Trace;
            o.Rules.Add(new LoggerFilterRule(provider, null, LogLevel.Trace, null));
            o.Rules.Add(new LoggerFilterRule(provider, "Microsoft.AspNetCore", LogLevel.Warning, null));
        });
    }

    /// <summary>Every string exported: span names, tags, events, links, status; metric names, descriptions, units and labels; log messages, states and scopes.</summary>
    public IReadOnlyList<(string Where, string Text)> Exported(IServiceProvider services)
    {
        services.GetRequiredService<MeterProvider>().ForceFlush();
        services.GetRequiredService<TracerProvider>().ForceFlush();
        var texts = new List<(string, string)>();
        Activity[] activities;
        lock (Activities)
        {
            activities = [.. Activities];
        }

        foreach (var activity in activities)
        {
            var where = $"span {activity.OperationName}";
            texts.Add((where, activity.DisplayName));
            texts.Add((where, activity.OperationName));
            texts.Add((where, activity.StatusDescription ?? string.Empty));
            texts.AddRange(activity.TagObjects.Select(t => (where, $"{t.Key}={t.Value}")));
            texts.AddRange(activity.Baggage.Select(b => (where, $"{b.Key}={b.Value}")));
            foreach (var e in activity.Events)
            {
                texts.Add((where, e.Name));
                texts.AddRange(e.Tags.Select(t => (where, $"{t.Key}={t.Value}")));
            }

            foreach (var link in activity.Links)
            {
                texts.AddRange((link.Tags ?? []).Select(t => (where, $"{t.Key}={t.Value}")));
            }
        }

        Metric[] metrics;
        lock (Metrics)
        {
            metrics = [.. Metrics];
        }

        foreach (var metric in metrics)
        {
            var where = $"metric {metric.Name}";
            texts.Add((where, $"{metric.Name} {metric.Unit} {metric.Description} {metric.MeterName}"));
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    texts.Add((where, $"{tag.Key}={tag.Value}"));
                }
            }
        }

        texts.AddRange(Logs.Entries.Select(e => ($"log {e.Category}", e.Text)));
        return texts;
    }

    /// <summary>The exported texts that contain any of <paramref name="needles"/>, with the needle found.</summary>
    public static IReadOnlyList<string> Find(IEnumerable<(string Where, string Text)> exported, IEnumerable<string> needles)
    {
        var list = needles.ToList();
        return [.. exported.SelectMany(x => list.Where(n => x.Text.Contains(n, StringComparison.OrdinalIgnoreCase)).Select(n => $"'{n}' in {x.Where}: {x.Text}"))];
    }
}

/// <summary>Keeps every log entry (message, structured state and scopes) as text.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<(string Category, string Text)> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IEnumerable<(string Category, string Text)> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new System.Text.StringBuilder(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    text.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            provider._scopes.ForEachScope((scope, builder) => AppendScope(builder, scope), text);
            if (exception is not null)
            {
                text.Append(" | ").Append(exception);
            }

            provider._entries.Enqueue((category, text.ToString()));
        }

        /// <summary>
        /// A scope's values, except ASP.NET Core's request path: the portal's sinks write no scopes (the JSON console has
        /// IncludeScopes off, TelemetryEndpointsTests checks it), and that one holds link tokens by design of the URLs.
        /// </summary>
        private static void AppendScope(System.Text.StringBuilder builder, object? scope)
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    if (key is not ("RequestPath" or "{OriginalFormat}"))
                    {
                        builder.Append(" | scope ").Append(key).Append('=').Append(value);
                    }
                }

                return;
            }

            builder.Append(" | scope ").Append(scope);
        }
    }
}
