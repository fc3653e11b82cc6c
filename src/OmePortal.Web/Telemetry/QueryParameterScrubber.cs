using System.Diagnostics;
using OpenTelemetry;

namespace OmePortal.Web.Telemetry;

/// <summary>Removes <c>db.query.parameter.*</c> tags from every span before it is exported (docs/ARCHITECTURE.md §14).</summary>
internal sealed class QueryParameterScrubber : BaseProcessor<Activity>
{
    private const string Prefix = "db.query.parameter.";

    public override void OnEnd(Activity data)
    {
        List<string>? parameters = null;
        foreach (var tag in data.TagObjects)
        {
            if (tag.Key.StartsWith(Prefix, StringComparison.Ordinal))
            {
                (parameters ??= []).Add(tag.Key);
            }
        }

        foreach (var key in parameters ?? [])
        {
            data.SetTag(key, null);
        }
    }
}
