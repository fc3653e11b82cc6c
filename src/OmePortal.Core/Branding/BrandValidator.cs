using System.Globalization;
using System.Text.RegularExpressions;

namespace OmePortal.Core.Branding;

/// <summary>One problem with a brand template. <see cref="Field"/> is the brand.json path, e.g. "texts.nl.portalText".</summary>
public sealed record BrandValidationError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>Checks a brand template against the limits of <see cref="BrandLimits"/>.</summary>
public static partial class BrandValidator
{
    /// <summary>Every problem with <paramref name="t"/>; empty when it is valid.</summary>
    public static IReadOnlyList<BrandValidationError> Validate(BrandTemplate t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var errors = new List<BrandValidationError>();
        void Error(string field, string message) => errors.Add(new BrandValidationError(field, message));

        if (string.IsNullOrWhiteSpace(t.Name))
        {
            Error("name", "is required.");
        }
        else if (t.Name.Length > BrandLimits.MaxNameLength)
        {
            Error("name", $"must be at most {BrandLimits.MaxNameLength} characters (it has {t.Name.Length}).");
        }
        else if (t.Name.Any(char.IsControl) || t.Name.Trim().Length != t.Name.Length)
        {
            Error("name", "must not contain control characters or leading or trailing spaces.");
        }

        if (!BrandLanguages.IsSupported(t.DefaultLanguage))
        {
            Error("defaultLanguage", $"'{t.DefaultLanguage}' is not a supported language ({SupportedList}).");
        }

        if (t.BackgroundColor is null || !ColorPattern().IsMatch(t.BackgroundColor))
        {
            Error("backgroundColor", "must be a colour in the form #RRGGBB.");
        }

        if (t.PrivacyStatementUrl is not null && CheckHttpsUrl(t.PrivacyStatementUrl) is { } urlProblem)
        {
            Error("privacyStatementUrl", urlProblem);
        }

        if (t.ExpiryDays is < BrandLimits.MinExpiryDays or > BrandLimits.MaxExpiryDays)
        {
            Error("expiryDays", $"must be between {BrandLimits.MinExpiryDays} and {BrandLimits.MaxExpiryDays} (0 = never); it is {t.ExpiryDays}.");
        }

        if (t.Texts is null)
        {
            Error("texts", "is required (it may be empty).");
        }
        else
        {
            foreach (var (language, texts) in t.Texts.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var prefix = $"texts.{language}";
                if (!BrandLanguages.IsSupported(language))
                {
                    Error(prefix, $"'{language}' is not a supported language ({SupportedList}).");
                    continue;
                }

                if (texts is null)
                {
                    Error(prefix, "must be an object (leave the language out to use the fallback).");
                    continue;
                }

                CheckText(errors, $"{prefix}.introductionText", texts.IntroductionText, BrandLimits.MaxTextLength, multiline: true);
                CheckText(errors, $"{prefix}.readButtonText", texts.ReadButtonText, BrandLimits.MaxTextLength, multiline: false);
                if (texts.ReadButtonText is not null && string.IsNullOrWhiteSpace(texts.ReadButtonText))
                {
                    Error($"{prefix}.readButtonText", "must not be blank (leave it out to use the fallback).");
                }

                CheckText(errors, $"{prefix}.emailText", texts.EmailText, BrandLimits.MaxTextLength, multiline: true);
                CheckText(errors, $"{prefix}.disclaimerText", texts.DisclaimerText, BrandLimits.MaxTextLength, multiline: true);
                CheckText(errors, $"{prefix}.portalText", texts.PortalText, BrandLimits.MaxPortalTextLength, multiline: false);
            }
        }

        if (t.Logo is not null)
        {
            CheckLogo(errors, t.Logo);
        }

        return errors;
    }

    /// <summary>Whether <paramref name="color"/> is a <c>#RRGGBB</c> colour.</summary>
    public static bool IsColor(string? color) => color is not null && ColorPattern().IsMatch(color);

    /// <summary>Null when <paramref name="url"/> is an acceptable absolute https URL, else the reason it is not.</summary>
    public static string? CheckHttpsUrl(string url)
    {
        if (url.Length > BrandLimits.MaxUrlLength)
        {
            return $"must be at most {BrandLimits.MaxUrlLength} characters.";
        }

        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || string.IsNullOrEmpty(uri.Host))
        {
            return "must be an absolute URL.";
        }

        if (!string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal))
        {
            return "must be an https URL.";
        }

        return uri.UserInfo.Length > 0 ? "must not contain a user name or password." : null;
    }

    private static void CheckText(List<BrandValidationError> errors, string field, string? text, int max, bool multiline)
    {
        if (text is null)
        {
            return;
        }

        if (text.Length > max)
        {
            errors.Add(new BrandValidationError(field, $"must be at most {max} characters (it has {text.Length})."));
        }

        foreach (var c in text)
        {
            var allowed = multiline ? c is '\n' or '\r' or '\t' : c == '\t';
            if (char.IsControl(c) && !allowed)
            {
                errors.Add(new BrandValidationError(field, multiline
                    ? $"must not contain control characters (found U+{(int)c:X4})."
                    : $"must be a single line without control characters (found U+{(int)c:X4})."));
                return;
            }
        }
    }

    private static void CheckLogo(List<BrandValidationError> errors, BrandLogo logo)
    {
        void Error(string message) => errors.Add(new BrandValidationError("logo", message));

        if (logo.Content is null || logo.Content.Length == 0)
        {
            Error("is empty.");
            return;
        }

        if (logo.Content.Length > BrandLimits.MaxLogoBytes)
        {
            Error($"must be at most {BrandLimits.MaxLogoBytes / 1024} KiB (it has {logo.Content.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes).");
        }

        if (logo.ContentType is null || !BrandLogo.AllowedContentTypes.Contains(logo.ContentType, StringComparer.Ordinal))
        {
            Error($"type '{logo.ContentType}' is not allowed (image/png, image/jpeg or image/gif).");
        }

        var info = LogoInspector.Inspect(logo.Content);
        if (info is null)
        {
            Error("is not a PNG, JPEG or GIF image (checked by content).");
            return;
        }

        if (!string.Equals(info.ContentType, logo.ContentType, StringComparison.Ordinal))
        {
            Error($"the content is {info.ContentType} but the type says {logo.ContentType}.");
        }

        if (info.Width > BrandLimits.MaxLogoPixels || info.Height > BrandLimits.MaxLogoPixels)
        {
            Error($"must be at most {BrandLimits.MaxLogoPixels}x{BrandLimits.MaxLogoPixels} pixels (it is {info.Width}x{info.Height}).");
        }
    }

    private static string SupportedList => string.Join(", ", BrandLanguages.Supported);

    [GeneratedRegex("^#[0-9A-Fa-f]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex ColorPattern();
}

/// <summary>
/// Builds and reads the <see cref="InvalidDataException"/> thrown for an invalid brand
/// (<see cref="InvalidDataException"/> is sealed, so the fields travel in <see cref="Exception.Data"/>).
/// The message starts with the first offending field, e.g. "Invalid brand (…/brand.json): texts.nl.portalText: …".
/// </summary>
public static class BrandErrors
{
    /// <summary>The <see cref="Exception.Data"/> key of the first offending field (a string).</summary>
    public const string FieldKey = "OmePortal.Brand.Field";

    /// <summary>The <see cref="Exception.Data"/> key of every problem (an <see cref="IReadOnlyList{T}"/> of <see cref="BrandValidationError"/>).</summary>
    public const string ErrorsKey = "OmePortal.Brand.Errors";

    /// <summary>An <see cref="InvalidDataException"/> describing <paramref name="errors"/> (at least one).</summary>
    public static InvalidDataException Create(IReadOnlyList<BrandValidationError> errors, string? source = null, Exception? inner = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("At least one error is required.", nameof(errors));
        }

        var where = source is null ? "Invalid brand" : $"Invalid brand ({source})";
        var exception = new InvalidDataException($"{where}: {string.Join("; ", errors)}", inner);
        exception.Data[FieldKey] = errors[0].Field;
        exception.Data[ErrorsKey] = errors;
        return exception;
    }

    /// <summary>The first offending field of an exception made by <see cref="Create"/>, else null.</summary>
    public static string? FieldOf(Exception exception) => exception?.Data[FieldKey] as string;

    /// <summary>Every problem of an exception made by <see cref="Create"/>, else an empty list.</summary>
    public static IReadOnlyList<BrandValidationError> ErrorsOf(Exception exception) =>
        exception?.Data[ErrorsKey] as IReadOnlyList<BrandValidationError> ?? [];
}
