using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace OmePortal.Core.Branding;

/// <summary>
/// Reads and writes the brand.json format (camelCase fields as in branding/README.md). The logo bytes are
/// never in the JSON: <see cref="ToJson"/> writes the logo's file name ("logo.png") and
/// <see cref="FromJson"/> takes the logo as an argument.
/// </summary>
public static class BrandSerializer
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        MaxDepth = 8,
        AllowDuplicateProperties = false,
    };

    /// <summary>The brand as brand.json text, without logo bytes ("logo" names the file, if there is a logo).</summary>
    public static string ToJson(BrandTemplate t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var document = new BrandDocument
        {
            Name = t.Name,
            DefaultLanguage = t.DefaultLanguage,
            BackgroundColor = t.BackgroundColor,
            Logo = t.Logo is null ? null : LogoFileName(t.Logo),
            PrivacyStatementUrl = t.PrivacyStatementUrl,
            OtpEnabled = t.OtpEnabled,
            MicrosoftSignInEnabled = t.MicrosoftSignInEnabled,
            NotifyInBothLanguages = t.NotifyInBothLanguages ? true : null,
            SubjectInNotification = t.SubjectInNotification ? true : null,
            ExpiryDays = t.ExpiryDays,
            Texts = (t.Texts ?? new Dictionary<string, BrandTexts>())
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .ToDictionary(p => p.Key, p => BrandTextsDocument.From(p.Value), StringComparer.Ordinal),
        };
        return JsonSerializer.Serialize(document, Options) + "\n";
    }

    /// <summary>
    /// Parses brand.json text. Missing optional fields take their defaults; unknown fields are refused.
    /// This does not validate limits: use <see cref="BrandValidator"/> (<see cref="BrandLoader"/> does both).
    /// </summary>
    /// <exception cref="InvalidDataException">The JSON is malformed, has unknown fields or lacks "name".</exception>
    public static BrandTemplate FromJson(string json, BrandLogo? logo) => Parse(json, source: null).Template with { Logo = logo };

    /// <summary>
    /// Parses brand.json text as <see cref="FromJson"/> does (without logo bytes) and says whether it names a
    /// logo file, which a stored template's JSON does exactly when the template has a logo: enough to show the
    /// logo by URL without loading its bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The JSON is malformed, has unknown fields or lacks "name".</exception>
    public static (BrandTemplate Template, bool NamesLogo) FromJsonNamingLogo(string json)
    {
        var (template, logoFile) = Parse(json, source: null);
        return (template, !string.IsNullOrEmpty(logoFile));
    }

    /// <summary>The file name a logo is stored under next to brand.json: "logo.png", "logo.jpg" or "logo.gif".</summary>
    public static string LogoFileName(BrandLogo logo) => "logo" + logo.FileExtension;

    internal static (BrandTemplate Template, string? LogoFile) Parse(string json, string? source)
    {
        ArgumentNullException.ThrowIfNull(json);
        BrandDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<BrandDocument>(json, Options);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "$" : e.Path.StartsWith("$.", StringComparison.Ordinal) ? e.Path[2..] : e.Path;
            throw BrandErrors.Create([new BrandValidationError(field, "is not valid: " + e.Message)], source, e);
        }

        if (document is null)
        {
            throw BrandErrors.Create([new BrandValidationError("$", "must be a JSON object.")], source);
        }

        if (document.Name is null)
        {
            throw BrandErrors.Create([new BrandValidationError("name", "is required.")], source);
        }

        var texts = new Dictionary<string, BrandTexts>(StringComparer.Ordinal);
        foreach (var (language, value) in document.Texts ?? [])
        {
            texts[language] = value?.ToTexts()!;
        }

        var template = new BrandTemplate
        {
            Name = document.Name,
            DefaultLanguage = document.DefaultLanguage ?? BrandLanguages.Default,
            BackgroundColor = document.BackgroundColor ?? "#FFFFFF",
            PrivacyStatementUrl = string.IsNullOrWhiteSpace(document.PrivacyStatementUrl) ? null : document.PrivacyStatementUrl,
            OtpEnabled = document.OtpEnabled ?? true,
            MicrosoftSignInEnabled = document.MicrosoftSignInEnabled ?? true,
            NotifyInBothLanguages = document.NotifyInBothLanguages ?? false,
            SubjectInNotification = document.SubjectInNotification ?? false,
            ExpiryDays = document.ExpiryDays ?? 0,
            Texts = texts,
        };
        return (template, document.Logo);
    }

    private sealed class BrandDocument
    {
        public string? Name { get; set; }

        public string? DefaultLanguage { get; set; }

        public string? BackgroundColor { get; set; }

        public string? Logo { get; set; }

        public string? PrivacyStatementUrl { get; set; }

        public bool? OtpEnabled { get; set; }

        public bool? MicrosoftSignInEnabled { get; set; }

        /// <summary>Written only when on, so brand.json files without the switch stay as they are.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public bool? NotifyInBothLanguages { get; set; }

        /// <summary>Written only when on, like <see cref="NotifyInBothLanguages"/>.</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public bool? SubjectInNotification { get; set; }

        public int? ExpiryDays { get; set; }

        public Dictionary<string, BrandTextsDocument?>? Texts { get; set; }
    }

    private sealed class BrandTextsDocument
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? IntroductionText { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? ReadButtonText { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? EmailText { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? DisclaimerText { get; set; }

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? PortalText { get; set; }

        public static BrandTextsDocument? From(BrandTexts? texts) => texts is null ? null : new BrandTextsDocument
        {
            IntroductionText = texts.IntroductionText,
            ReadButtonText = texts.ReadButtonText,
            EmailText = texts.EmailText,
            DisclaimerText = texts.DisclaimerText,
            PortalText = texts.PortalText,
        };

        public BrandTexts ToTexts() => new()
        {
            IntroductionText = IntroductionText,
            ReadButtonText = ReadButtonText,
            EmailText = EmailText,
            DisclaimerText = DisclaimerText,
            PortalText = PortalText,
        };
    }
}
