using System.Globalization;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Branding;

namespace OmePortal.Web.Admin.Branding;

/// <summary>The texts of one language as the edit form posts them. An empty field means "fall back".</summary>
public sealed class BrandTextsInput
{
    public string Language { get; set; } = BrandLanguages.English;
    public string? IntroductionText { get; set; }
    public string? ReadButtonText { get; set; }
    public string? EmailText { get; set; }
    public string? DisclaimerText { get; set; }
    public string? PortalText { get; set; }
}

/// <summary>
/// The edit form of a template. Field limits are checked by <see cref="BrandValidator"/> (one set of rules
/// for brand.json and the admin); <see cref="AddErrors"/> puts its findings next to the form fields, localised.
/// </summary>
public sealed class BrandFormInput
{
    /// <summary>The model state prefix of the bound input (<c>[BindProperty] Input</c>).</summary>
    public const string Prefix = "Input";

    public string Name { get; set; } = string.Empty;
    public string DefaultLanguage { get; set; } = BrandLanguages.Default;
    public string BackgroundColor { get; set; } = "#FFFFFF";
    public string? PrivacyStatementUrl { get; set; }
    public bool OtpEnabled { get; set; } = true;
    public bool MicrosoftSignInEnabled { get; set; } = true;
    public bool NotifyInBothLanguages { get; set; }

    public bool SubjectInNotification { get; set; }
    public int ExpiryDays { get; set; }
    public List<BrandTextsInput> Texts { get; set; } = [];

    /// <summary>Set when the template has (or will have, after a preview upload) a logo; for the page only.</summary>
    public bool RemoveLogo { get; set; }

    /// <summary>The preview draft holding a logo uploaded before (so Save after Preview keeps it).</summary>
    public string? PendingLogoDraft { get; set; }

    public static BrandFormInput From(BrandTemplate brand) => new()
    {
        Name = brand.Name,
        DefaultLanguage = brand.DefaultLanguage,
        BackgroundColor = brand.BackgroundColor,
        PrivacyStatementUrl = brand.PrivacyStatementUrl,
        OtpEnabled = brand.OtpEnabled,
        MicrosoftSignInEnabled = brand.MicrosoftSignInEnabled,
        NotifyInBothLanguages = brand.NotifyInBothLanguages,
        SubjectInNotification = brand.SubjectInNotification,
        ExpiryDays = brand.ExpiryDays,
        Texts = BrandLanguages.Supported.Select(language =>
        {
            var texts = brand.Texts.TryGetValue(language, out var t) ? t : null;
            return new BrandTextsInput
            {
                Language = language,
                IntroductionText = texts?.IntroductionText,
                ReadButtonText = texts?.ReadButtonText,
                EmailText = texts?.EmailText,
                DisclaimerText = texts?.DisclaimerText,
                PortalText = texts?.PortalText,
            };
        }).ToList(),
    };

    /// <summary>One entry per supported language, in order, whatever the client posted.</summary>
    public void Normalize()
    {
        Texts = BrandLanguages.Supported
            .Select(language => Texts.FirstOrDefault(t => string.Equals(t.Language, language, StringComparison.Ordinal)) ?? new BrandTextsInput { Language = language })
            .ToList();
    }

    /// <summary>The brand these values describe (without a logo). Blank texts are left out, so they fall back.</summary>
    public BrandTemplate ToBrand()
    {
        Normalize();
        var texts = new Dictionary<string, BrandTexts>(StringComparer.Ordinal);
        foreach (var t in Texts)
        {
            var value = new BrandTexts
            {
                IntroductionText = Blank(t.IntroductionText),
                ReadButtonText = Blank(t.ReadButtonText),
                EmailText = Blank(t.EmailText),
                DisclaimerText = Blank(t.DisclaimerText),
                PortalText = Blank(t.PortalText),
            };
            if (value != new BrandTexts())
            {
                texts[t.Language] = value;
            }
        }

        return new BrandTemplate
        {
            Name = Name ?? string.Empty,
            DefaultLanguage = DefaultLanguage ?? string.Empty,
            BackgroundColor = (BackgroundColor ?? string.Empty).Trim().ToUpperInvariant(),
            PrivacyStatementUrl = string.IsNullOrWhiteSpace(PrivacyStatementUrl) ? null : PrivacyStatementUrl.Trim(),
            OtpEnabled = OtpEnabled,
            MicrosoftSignInEnabled = MicrosoftSignInEnabled,
            NotifyInBothLanguages = NotifyInBothLanguages,
            SubjectInNotification = SubjectInNotification,
            ExpiryDays = ExpiryDays,
            Texts = texts,
        };
    }

    /// <summary>Puts each validation error next to its form field, in the admin's language.</summary>
    public void AddErrors(ModelStateDictionary modelState, IEnumerable<BrandValidationError> errors, IStringLocalizer<BrandingResource> text)
    {
        Normalize();
        foreach (var error in errors)
        {
            var (key, message) = Describe(error.Field, text);
            if (!modelState.TryGetValue(key, out var entry) || entry.Errors.Count == 0)
            {
                modelState.AddModelError(key, message);
            }
        }
    }

    private (string Key, string Message) Describe(string field, IStringLocalizer<BrandingResource> text)
    {
        switch (field)
        {
            case "name":
                return (Key(nameof(Name)), text["Error_Name", BrandLimits.MaxNameLength]);
            case "defaultLanguage":
                return (Key(nameof(DefaultLanguage)), text["Error_Language"]);
            case "backgroundColor":
                return (Key(nameof(BackgroundColor)), text["Error_Color"]);
            case "privacyStatementUrl":
                return (Key(nameof(PrivacyStatementUrl)), text["Error_Url"]);
            case "expiryDays":
                return (Key(nameof(ExpiryDays)), text["Error_Expiry", BrandLimits.MaxExpiryDays]);
            case "logo":
                return ("Logo", text["Logo_NotAnImage"]);
        }

        var parts = field.Split('.');
        if (parts.Length == 3 && parts[0] == "texts")
        {
            var index = Texts.FindIndex(t => string.Equals(t.Language, parts[1], StringComparison.Ordinal));
            var property = parts[2] switch
            {
                "introductionText" => nameof(BrandTextsInput.IntroductionText),
                "readButtonText" => nameof(BrandTextsInput.ReadButtonText),
                "emailText" => nameof(BrandTextsInput.EmailText),
                "disclaimerText" => nameof(BrandTextsInput.DisclaimerText),
                "portalText" => nameof(BrandTextsInput.PortalText),
                _ => null,
            };
            if (index >= 0 && property is not null)
            {
                var value = property switch
                {
                    nameof(BrandTextsInput.IntroductionText) => Texts[index].IntroductionText,
                    nameof(BrandTextsInput.ReadButtonText) => Texts[index].ReadButtonText,
                    nameof(BrandTextsInput.EmailText) => Texts[index].EmailText,
                    nameof(BrandTextsInput.DisclaimerText) => Texts[index].DisclaimerText,
                    _ => Texts[index].PortalText,
                };
                var max = property == nameof(BrandTextsInput.PortalText) ? BrandLimits.MaxPortalTextLength : BrandLimits.MaxTextLength;
                var key = $"{Prefix}.{nameof(Texts)}[{index.ToString(CultureInfo.InvariantCulture)}].{property}";
                return value is not null && value.Length > max
                    ? (key, text["Error_TextTooLong", max, value.Length])
                    : (key, text["Error_TextInvalid"]);
            }
        }

        return (string.Empty, text["Error_Invalid"]);
    }

    private static string Key(string property) => $"{Prefix}.{property}";

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Replace("\r\n", "\n", StringComparison.Ordinal);
}
