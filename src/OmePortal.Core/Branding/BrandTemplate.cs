using System.Collections.ObjectModel;
using OmePortal.Core.Notifications;

namespace OmePortal.Core.Branding;

/// <summary>
/// A branding template (OME parity): how notification mails and portal pages look, which sign-in
/// methods they offer and how long messages stay readable. Validate with <see cref="BrandValidator"/>.
/// </summary>
public sealed record BrandTemplate
{
    private static readonly IReadOnlyDictionary<string, BrandTexts> NoTexts =
        new ReadOnlyDictionary<string, BrandTexts>(new Dictionary<string, BrandTexts>());

    /// <summary>The template's name, unique per tenant; "Default" for the built-in one.</summary>
    public required string Name { get; init; }

    /// <summary>The language whose texts fill gaps in other languages: one of <see cref="BrandLanguages.Supported"/>.</summary>
    public string DefaultLanguage { get; init; } = BrandLanguages.Default;

    /// <summary>The background colour of the notification mail and the portal, <c>#RRGGBB</c>.</summary>
    public string BackgroundColor { get; init; } = "#FFFFFF";

    /// <summary>An absolute https URL, or <see langword="null"/> for none.</summary>
    public string? PrivacyStatementUrl { get; init; }

    /// <summary>Whether recipients may sign in with a one-time passcode sent by mail.</summary>
    public bool OtpEnabled { get; init; } = true;

    /// <summary>Whether recipients may sign in with a Microsoft personal or work/school account.</summary>
    public bool MicrosoftSignInEnabled { get; init; } = true;

    /// <summary>
    /// Whether notifications carry both languages, the recipient's (or the default) first: for tenants whose
    /// recipients the portal cannot place yet. Off by default, since one language reads best.
    /// </summary>
    public bool NotifyInBothLanguages { get; init; }

    /// <summary>
    /// Whether the notification's subject also carries the original message's subject ("Ann Smith: Your
    /// statement"). Off by default: the subject of a mail travels and rests in the clear, so a tenant turns
    /// this on only for subjects it does not mind being read outside the portal.
    /// </summary>
    public bool SubjectInNotification { get; init; }

    /// <summary>Days after which messages sent with this template expire, 0..730; 0 = never.</summary>
    public int ExpiryDays { get; init; }

    /// <summary>The texts per language; the key is a language code ("en", "nl").</summary>
    public IReadOnlyDictionary<string, BrandTexts> Texts { get; init; } = NoTexts;

    /// <summary>The logo, or <see langword="null"/> for none.</summary>
    public BrandLogo? Logo { get; init; }

    /// <summary>
    /// The texts to show in <paramref name="language"/>, field by field: the brand's text in that language,
    /// else the brand's text in <see cref="DefaultLanguage"/>, else the built-in text for that language.
    /// An unsupported or missing <paramref name="language"/> means <see cref="DefaultLanguage"/>. Every
    /// field of the result is non-null.
    /// </summary>
    public BrandTexts TextsFor(string? language)
    {
        var defaultLanguage = BrandLanguages.Normalize(DefaultLanguage) ?? BrandLanguages.Default;
        var resolved = BrandLanguages.Normalize(language) ?? defaultLanguage;
        return (Find(resolved) ?? new BrandTexts())
            .FallBackTo(Find(defaultLanguage))
            .FallBackTo(BuiltInTexts(resolved));
    }

    /// <summary>The built-in texts for a language (from the notification resources); every field is set.</summary>
    public static BrandTexts BuiltInTexts(string language)
    {
        var culture = BrandLanguages.Culture(language);
        return new BrandTexts
        {
            IntroductionText = NotificationResources.Get("Default_IntroductionText", culture),
            ReadButtonText = NotificationResources.Get("Default_ReadButtonText", culture),
            EmailText = NotificationResources.Get("Default_EmailText", culture),
            DisclaimerText = NotificationResources.Get("Default_DisclaimerText", culture),
            PortalText = NotificationResources.Get("Default_PortalText", culture),
        };
    }

    private BrandTexts? Find(string language)
    {
        if (Texts is null)
        {
            return null;
        }

        if (Texts.TryGetValue(language, out var texts))
        {
            return texts;
        }

        foreach (var (key, value) in Texts)
        {
            if (string.Equals(BrandLanguages.Normalize(key), language, StringComparison.Ordinal))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Value equality, including the texts per language and the logo bytes.</summary>
    public bool Equals(BrandTemplate? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        return other is not null
            && string.Equals(Name, other.Name, StringComparison.Ordinal)
            && string.Equals(DefaultLanguage, other.DefaultLanguage, StringComparison.Ordinal)
            && string.Equals(BackgroundColor, other.BackgroundColor, StringComparison.Ordinal)
            && string.Equals(PrivacyStatementUrl, other.PrivacyStatementUrl, StringComparison.Ordinal)
            && OtpEnabled == other.OtpEnabled
            && MicrosoftSignInEnabled == other.MicrosoftSignInEnabled
            && NotifyInBothLanguages == other.NotifyInBothLanguages
            && SubjectInNotification == other.SubjectInNotification
            && ExpiryDays == other.ExpiryDays
            && Equals(Logo, other.Logo)
            && TextsEqual(Texts, other.Texts);
    }

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name, StringComparer.Ordinal);
        hash.Add(DefaultLanguage, StringComparer.Ordinal);
        hash.Add(BackgroundColor, StringComparer.Ordinal);
        hash.Add(PrivacyStatementUrl, StringComparer.Ordinal);
        hash.Add(OtpEnabled);
        hash.Add(MicrosoftSignInEnabled);
        hash.Add(NotifyInBothLanguages);
        hash.Add(SubjectInNotification);
        hash.Add(ExpiryDays);
        hash.Add(Logo);
        hash.Add(Texts?.Count ?? 0);
        return hash.ToHashCode();
    }

    private static bool TextsEqual(IReadOnlyDictionary<string, BrandTexts>? a, IReadOnlyDictionary<string, BrandTexts>? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is null || b is null || a.Count != b.Count)
        {
            return false;
        }

        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var otherValue) || !Equals(value, otherValue))
            {
                return false;
            }
        }

        return true;
    }
}
