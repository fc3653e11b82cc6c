using System.Text.RegularExpressions;

namespace OmePortal.Web.Tests.Admin;

/// <summary>Concrete paths for route templates, so the sweeps over every admin page reach each page's authorization.</summary>
internal static partial class AdminRoutes
{
    /// <summary>
    /// Drops optional parameters and fills the others: with the first choice of a <c>regex(^(a|b)$)</c> constraint
    /// (a path that breaks the constraint matches no page and answers 404 before any authorization), else a new id.
    /// </summary>
    public static string Fill(string route) =>
        Parameter().Replace(OptionalParameter().Replace(route, string.Empty), match =>
            Choices().Match(match.Value) is { Success: true } choices ? choices.Groups[1].Value : Guid.NewGuid().ToString()).TrimEnd('/');

    [GeneratedRegex("/\\{[^}]*\\?\\}")]
    private static partial Regex OptionalParameter();

    [GeneratedRegex("\\{[^}]+\\}")]
    private static partial Regex Parameter();

    [GeneratedRegex("regex\\(\\^\\(([^|)]+)[|)]")]
    private static partial Regex Choices();
}
