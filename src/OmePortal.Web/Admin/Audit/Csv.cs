namespace OmePortal.Web.Admin.Audit;

/// <summary>
/// CSV as RFC 4180 writes it (comma separated, CRLF line ends, a field quoted when it holds a comma,
/// quote or line break, quotes doubled), made safe to open in a spreadsheet: a cell that starts with
/// <c>= + - @</c> (or a tab or carriage return) would run as a formula there, so it gets a leading
/// apostrophe (OWASP "CSV injection"). Addresses and details can come from mail an outsider wrote.
/// </summary>
public static class Csv
{
    private static readonly char[] NeedsQuotes = [',', '"', '\r', '\n'];

    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny(NeedsQuotes) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    public static string Row(params ReadOnlySpan<string?> fields)
    {
        var line = new System.Text.StringBuilder();
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                line.Append(',');
            }

            line.Append(Field(fields[i]));
        }

        return line.Append("\r\n").ToString();
    }
}
