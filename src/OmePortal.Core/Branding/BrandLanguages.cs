using System.Globalization;

namespace OmePortal.Core.Branding;

/// <summary>The languages brands and notifications support.</summary>
public static class BrandLanguages
{
    public const string English = "en";
    public const string Dutch = "nl";

    /// <summary>The language used when nothing else is known.</summary>
    public const string Default = English;

    /// <summary>The supported language codes, lower case, as used in brand.json.</summary>
    public static IReadOnlyList<string> Supported { get; } = [English, Dutch];

    /// <summary>Whether <paramref name="language"/> is exactly one of <see cref="Supported"/>.</summary>
    public static bool IsSupported(string? language) =>
        language is not null && Supported.Contains(language, StringComparer.Ordinal);

    /// <summary>
    /// Maps a language tag ("nl", "NL", "nl-BE", "en_GB") to a supported language code, or
    /// <see langword="null"/> when its primary language is not supported.
    /// </summary>
    public static string? Normalize(string? language)
    {
        if (string.IsNullOrWhiteSpace(language))
        {
            return null;
        }

        var primary = language.Trim();
        var cut = primary.IndexOfAny(['-', '_']);
        if (cut >= 0)
        {
            primary = primary[..cut];
        }

        primary = primary.ToLowerInvariant();
        return IsSupported(primary) ? primary : null;
    }

    /// <summary>The culture used to format dates and to look up texts for a supported language.</summary>
    public static CultureInfo Culture(string language) =>
        CultureInfo.GetCultureInfo(Normalize(language) ?? Default);
}
