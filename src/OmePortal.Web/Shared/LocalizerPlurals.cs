using Microsoft.Extensions.Localization;

// In the root namespace so that every feature, and every view (the root _ViewImports imports it), has it without a using.
namespace OmePortal.Web;

public static class LocalizerPlurals
{
    /// <summary>
    /// <c>{key}One</c> for one, <c>{key}Many</c> (with the count as {0}) otherwise: the plural rule of English and
    /// Dutch alike, so neither language needs "second(s)" or "seconde(n)".
    /// </summary>
    public static LocalizedString Plural(this IStringLocalizer text, string key, int count) =>
        count == 1 ? text[key + "One"] : text[key + "Many", count];
}
