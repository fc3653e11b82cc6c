using System.Globalization;

namespace OmePortal.Web.Admin.Trace;

/// <summary>How the trace and audit pages write dates, sizes and filter values.</summary>
public static class TraceFormat
{
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>A moment in UTC, in the reader's culture (the column headers say UTC).</summary>
    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("g", CultureInfo.CurrentUICulture);

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString("N0", CultureInfo.CurrentUICulture) + " B",
        < 1024 * 1024 => (bytes / 1024d).ToString("N1", CultureInfo.CurrentUICulture) + " KB",
        _ => (bytes / (1024d * 1024)).ToString("N1", CultureInfo.CurrentUICulture) + " MB",
    };

    /// <summary>A date filter as typed (yyyy-MM-dd, what input type=date sends): false when it is there but not a date.</summary>
    public static bool TryParseDate(string? value, out DateOnly? date)
    {
        date = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        if (DateOnly.TryParseExact(value.Trim(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            date = parsed;
            return true;
        }

        return false;
    }
}
