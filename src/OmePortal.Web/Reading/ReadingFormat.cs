using System.Globalization;
using Microsoft.Extensions.Localization;

namespace OmePortal.Web.Reading;

/// <summary>Sizes and dates as the reading pages show them, in the reader's language.</summary>
public static class ReadingFormat
{
    public static string Size(long bytes, IStringLocalizer<ReadingResource> text)
    {
        var culture = CultureInfo.CurrentCulture;
        return bytes switch
        {
            1 => text["SizeBytesOne"],
            < 1024 => text["SizeBytesMany", bytes.ToString("N0", culture)],
            < 1024 * 1024 => text["SizeKB", (bytes / 1024d).ToString("0.#", culture)],
            < 1024L * 1024 * 1024 => text["SizeMB", (bytes / (1024d * 1024)).ToString("0.#", culture)],
            _ => text["SizeGB", (bytes / (1024d * 1024 * 1024)).ToString("0.#", culture)],
        };
    }

    /// <summary>A date in UTC (the server does not know the reader's time zone), e.g. "28 Nov 2026 10:15 (UTC)".</summary>
    public static string Date(DateTimeOffset when, IStringLocalizer<ReadingResource> text) =>
        text["DateUtc", when.UtcDateTime.ToString("g", CultureInfo.CurrentCulture)];

    /// <summary>A day in UTC, e.g. "14/12/2026 (UTC)", for a &lt;time data-local="date"&gt;.</summary>
    public static string Day(DateTimeOffset when, IStringLocalizer<ReadingResource> text) =>
        text["DateUtc", when.UtcDateTime.ToString("d", CultureInfo.CurrentCulture)];

    /// <summary>
    /// The text before and after the <c>{0}</c> of a localised sentence, so that markup (a &lt;time&gt;) can
    /// stand in its place while both parts stay encoded text.
    /// </summary>
    public static (string Before, string After) Around(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var at = template.IndexOf("{0}", StringComparison.Ordinal);
        return at < 0 ? (template + " ", string.Empty) : (template[..at], template[(at + 3)..]);
    }

    /// <summary>The machine-readable form for a &lt;time datetime&gt; attribute.</summary>
    public static string Iso(DateTimeOffset when) => when.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
