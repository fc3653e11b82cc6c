using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>
/// Builds the branded one-time passcode mail (docs/ARCHITECTURE.md §7):
/// <code>
/// multipart/alternative
///   text/plain                 (the code alone on its own line)
///   multipart/related          (text/html alone when the brand has no logo)
///     text/html
///     image/* (the logo, Content-ID referenced as cid:)
/// </code>
/// The subject carries the reference code but never the passcode, because subjects show on lock
/// screens and in notification banners. The mail has no links at all: a passcode mail that asks
/// nobody to click anything is easy to tell from phishing that imitates it. Brand texts are
/// untrusted plain text and HTML-encoded, as in <see cref="NotificationComposer"/>.
/// </summary>
public static partial class PasscodeMailComposer
{
    /// <summary>The header that tells the portal's own mails apart; the passcode mail has the value <see cref="Kind"/>.</summary>
    public const string KindHeader = "X-OmePortal-Mail-Kind";

    /// <summary>The value of <see cref="KindHeader"/> on passcode mails.</summary>
    public const string Kind = "passcode";

    /// <summary>
    /// Builds the passcode mail. Throws <see cref="ArgumentException"/> for a bad address, a code that is
    /// not 6 to 10 ASCII digits, or a reference code that is not 1 to 16 ASCII letters, digits or hyphens.
    /// </summary>
    public static MimeMessage Compose(PasscodeMailRequest request) => Compose(request, DateTimeOffset.UtcNow);

    /// <summary>
    /// As <see cref="Compose(PasscodeMailRequest)"/>, at a given moment: the Date header and the "expires in
    /// N minutes" line use <paramref name="now"/> (pass the portal's <see cref="TimeProvider"/> time).
    /// </summary>
    public static MimeMessage Compose(PasscodeMailRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Brand, nameof(request.Brand));
        if (request.Code is null || !CodePattern().IsMatch(request.Code))
        {
            throw new ArgumentException("The passcode must be 6 to 10 ASCII digits.", nameof(request));
        }

        if (request.ReferenceCode is null || !ReferencePattern().IsMatch(request.ReferenceCode))
        {
            throw new ArgumentException("The reference code must be 1 to 16 ASCII letters, digits or hyphens.", nameof(request));
        }

        var brand = request.Brand;
        var language = BrandLanguages.Normalize(request.Language)
            ?? BrandLanguages.Normalize(brand.DefaultLanguage)
            ?? BrandLanguages.Default;
        var culture = BrandLanguages.Culture(language);
        string T(string key) => PasscodeMailResources.Get(key, culture);

        var recipient = BrandedMailLayout.Mailbox(null, request.RecipientAddress, nameof(request.RecipientAddress));
        var layout = BrandedMailLayout.For(brand, language, request.FromAddress, request.FromName, T("LogoAlt"));

        var texts = brand.TextsFor(language);
        var reference = request.ReferenceCode;
        var content = new Content(
            Subject: T("Subject").Replace("{reference}", reference, StringComparison.Ordinal),
            PortalText: BrandedMailLayout.SingleLine(texts.PortalText ?? string.Empty),
            Heading: T("Heading"),
            Introduction: T("Introduction"),
            Code: request.Code,
            ReferenceLabel: T("ReferenceLabel"),
            Reference: reference,
            ReferenceExplanation: T("ReferenceExplanation"),
            ExpiryLine: ExpiryLine(request.ExpiresAt, now, T),
            IgnoreLine: T("IgnoreLine"),
            NeverShare: T("NeverShare"),
            AutomaticLine: T("AutomaticLine"),
            Disclaimer: BrandedMailLayout.NormalizeNewLines(texts.DisclaimerText ?? string.Empty)
                .Replace(BrandTexts.SenderPlaceholder, T("SenderFallback"), StringComparison.Ordinal));

        var message = layout.NewMessage(recipient, content.Subject, now);
        message.Headers.Add(KindHeader, Kind);

        // Mail apps turn long digit runs into phone-number links; the passcode is not one.
        const string NoFormatDetection = "<meta name=\"format-detection\" content=\"telephone=no, date=no, address=no, email=no\">\n";
        var alternative = layout.Body(
            RenderText(content),
            layout.Html(content.Subject, RenderRows(content, layout), RenderFooter(content), NoFormatDetection));
        alternative.Headers.Add(HeaderId.ContentLanguage, language);
        message.Body = alternative;
        return message;
    }

    [GeneratedRegex("^[0-9]{6,10}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();

    [GeneratedRegex("^[A-Za-z0-9-]{1,16}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    private sealed record Content(
        string Subject,
        string PortalText,
        string Heading,
        string Introduction,
        string Code,
        string ReferenceLabel,
        string Reference,
        string ReferenceExplanation,
        string ExpiryLine,
        string IgnoreLine,
        string NeverShare,
        string AutomaticLine,
        string Disclaimer);

    // "in 10 minutes, at 14:30 UTC" while the mail is fresh; only the time when it leaves late.
    private static string ExpiryLine(DateTimeOffset expiresAt, DateTimeOffset now, Func<string, string> text)
    {
        var time = expiresAt.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);
        var left = expiresAt - now;
        var minutes = (int)Math.Ceiling(Math.Min(left.TotalMinutes, 24 * 60));
        var line = minutes switch
        {
            <= 0 => text("ExpiryAt"),
            1 => text("ExpiryOneMinute"),
            _ => text("ExpiryMinutes").Replace("{minutes}", minutes.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
        };
        return line.Replace("{time}", time, StringComparison.Ordinal);
    }

    private static string RenderText(Content c) => BrandedMailLayout.Text(
        [
            c.PortalText,
            $"{c.Heading}:\n\n{c.Code}",
            c.Introduction,
            $"{c.ReferenceLabel}: {c.Reference}\n{c.ReferenceExplanation}",
            c.ExpiryLine,
            $"{c.IgnoreLine}\n{c.NeverShare}",
            c.AutomaticLine,
        ],
        [c.Disclaimer]);

    private static string RenderRows(Content c, BrandedMailLayout layout)
    {
        var E = BrandedMailLayout.E;
        const string Text = BrandedMailLayout.TextColor;
        const string Mono = BrandedMailLayout.MonoStack;
        var h = new StringBuilder(2048);
        if (!string.IsNullOrWhiteSpace(c.PortalText))
        {
            h.Append(BrandedMailLayout.TextRow(E(c.PortalText), "16px 32px 0 32px", 13, 18, BrandedMailLayout.MutedColor));
        }

        h.Append(BrandedMailLayout.TextRow($"<h1 style=\"margin:0;font-size:20px;line-height:28px;font-weight:600;\">{E(c.Heading)}</h1>", "16px 32px 8px 32px", 20, 28, extraStyle: "font-weight:600;"));
        h.Append("<tr><td style=\"padding:8px 32px;\">\n");
        h.Append("<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>");
        h.Append($"<td style=\"padding:12px 24px;border:2px solid {layout.AccentColor};border-radius:6px;background-color:#F9FAFB;\">");
        h.Append($"<span style=\"font-family:{Mono};font-size:32px;line-height:40px;font-weight:700;letter-spacing:6px;color:{Text};\">{E(c.Code)}</span>");
        h.Append("</td></tr></table>\n</td></tr>\n");
        h.Append(BrandedMailLayout.TextRow(E(c.Introduction)));
        h.Append(BrandedMailLayout.TextRow($"{E(c.ReferenceLabel)}: <strong style=\"font-family:{Mono};letter-spacing:2px;\">{E(c.Reference)}</strong><br>\n{E(c.ReferenceExplanation)}"));
        h.Append(BrandedMailLayout.TextRow($"<strong>{E(c.ExpiryLine)}</strong>"));
        h.Append(BrandedMailLayout.TextRow($"{E(c.IgnoreLine)}<br>\n{E(c.NeverShare)}", "8px 32px 16px 32px"));
        return h.ToString();
    }

    private static string RenderFooter(Content c) =>
        string.IsNullOrWhiteSpace(c.Disclaimer)
            ? BrandedMailLayout.E(c.AutomaticLine)
            : BrandedMailLayout.E(c.AutomaticLine) + "<br><br>\n" + BrandedMailLayout.Multiline(c.Disclaimer);
}
