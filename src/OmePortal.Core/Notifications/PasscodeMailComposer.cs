using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Text;
using MimeKit.Utils;
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

    private const string FallbackAccentColor = "#0F6CBD";
    private const string TextColor = "#1F2937";
    private const string MutedColor = "#4B5563";
    private const string FontStack = "'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
    private const string MonoStack = "Consolas,'Roboto Mono','Courier New',monospace";
    private const int LogoMaxWidth = 240;
    private const int LogoMaxHeight = 60;

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

        var recipient = Mailbox(null, request.RecipientAddress, nameof(request.RecipientAddress));
        var from = Mailbox(NotificationComposer.CleanDisplayName(request.FromName), request.FromAddress, nameof(request.FromAddress));

        var texts = brand.TextsFor(language);
        var backgroundColor = BrandValidator.IsColor(brand.BackgroundColor) ? brand.BackgroundColor.ToUpperInvariant() : "#FFFFFF";
        var reference = request.ReferenceCode;
        var content = new Content(
            Language: language,
            Subject: T("Subject").Replace("{reference}", reference, StringComparison.Ordinal),
            PortalText: SingleLine(texts.PortalText ?? string.Empty),
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
            Disclaimer: NormalizeNewLines(texts.DisclaimerText ?? string.Empty)
                .Replace(BrandTexts.SenderPlaceholder, T("SenderFallback"), StringComparison.Ordinal),
            BackgroundColor: backgroundColor,
            AccentColor: ContrastWithWhite(backgroundColor) >= 4.5 ? backgroundColor : FallbackAccentColor);

        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(recipient);
        message.Subject = content.Subject;
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(from.Domain);
        message.Headers.Add(KindHeader, Kind);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("X-Auto-Response-Suppress", "All");

        var logo = LogoPart(brand.Logo, from.Domain, T("LogoAlt"));
        var html = TextBody(TextFormat.Html, RenderHtml(content, logo));
        MimeEntity htmlEntity = html;
        if (logo is not null)
        {
            var related = new MultipartRelated { Root = html };
            related.Add(logo.Part);
            htmlEntity = related;
        }

        var alternative = new MultipartAlternative
        {
            TextBody(TextFormat.Plain, RenderText(content)),
            htmlEntity,
        };
        alternative.Headers.Add(HeaderId.ContentLanguage, language);
        message.Body = alternative;
        return message;
    }

    [GeneratedRegex("^[0-9]{6,10}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();

    [GeneratedRegex("^[A-Za-z0-9-]{1,16}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    private sealed record Content(
        string Language,
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
        string Disclaimer,
        string BackgroundColor,
        string AccentColor);

    private sealed record Logo(MimePart Part, string ContentId, string Alt, int Width, int Height);

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

    private static MailboxAddress Mailbox(string? name, string address, string parameter)
    {
        if (string.IsNullOrWhiteSpace(address) || address.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException("An email address is required, without spaces or control characters.", parameter);
        }

        MailboxAddress mailbox;
        try
        {
            mailbox = new MailboxAddress(name, address);
        }
        catch (ParseException e)
        {
            throw new ArgumentException($"'{address}' is not a valid email address.", parameter, e);
        }

        return string.IsNullOrEmpty(mailbox.Domain) || string.IsNullOrEmpty(mailbox.LocalPart)
            ? throw new ArgumentException($"'{address}' is not a valid email address.", parameter)
            : mailbox;
    }

    private static Logo? LogoPart(BrandLogo? logo, string domain, string alt)
    {
        if (logo?.Content is not { Length: > 0 } bytes || LogoInspector.Inspect(bytes) is not { } info)
        {
            return null; // never send bytes that are not a recognised image
        }

        var contentId = MimeUtils.GenerateMessageId(domain);
        var part = new MimePart(ContentType.Parse(info.ContentType))
        {
            Content = new MimeContent(new MemoryStream(bytes, writable: false)),
            ContentId = contentId,
            ContentDisposition = new ContentDisposition(ContentDisposition.Inline),
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        part.FileName = "logo" + new BrandLogo(bytes, info.ContentType).FileExtension;

        var scale = Math.Min(1.0, Math.Min((double)LogoMaxWidth / info.Width, (double)LogoMaxHeight / info.Height));
        var width = Math.Max(1, (int)Math.Round(info.Width * scale));
        var height = Math.Max(1, (int)Math.Round(info.Height * scale));
        return new Logo(part, contentId, alt, width, height);
    }

    private static TextPart TextBody(TextFormat format, string text)
    {
        var part = new TextPart(format) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        part.SetText(Encoding.UTF8, text);
        return part;
    }

    private static string RenderText(Content c)
    {
        var blocks = new List<string>();
        if (!string.IsNullOrWhiteSpace(c.PortalText))
        {
            blocks.Add(c.PortalText);
        }

        blocks.Add($"{c.Heading}:\n\n{c.Code}");
        blocks.Add(c.Introduction);
        blocks.Add($"{c.ReferenceLabel}: {c.Reference}\n{c.ReferenceExplanation}");
        blocks.Add(c.ExpiryLine);
        blocks.Add($"{c.IgnoreLine}\n{c.NeverShare}");
        blocks.Add(c.AutomaticLine);
        if (!string.IsNullOrWhiteSpace(c.Disclaimer))
        {
            blocks.Add("-- \n" + c.Disclaimer);
        }

        return string.Join("\n\n", blocks) + "\n";
    }

    private static string RenderHtml(Content c, Logo? logo)
    {
        var E = NotificationComposer.E;
        var font = $"font-family:{FontStack};";
        var h = new StringBuilder(4096);
        h.Append("<!DOCTYPE html>\n");
        h.Append($"<html lang=\"{E(c.Language)}\" dir=\"ltr\">\n<head>\n");
        h.Append("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<meta name=\"color-scheme\" content=\"light\">\n");
        // Mail apps turn long digit runs into phone-number links; the passcode is not one.
        h.Append("<meta name=\"format-detection\" content=\"telephone=no, date=no, address=no, email=no\">\n");
        h.Append($"<title>{E(c.Subject)}</title>\n</head>\n");
        h.Append($"<body style=\"margin:0;padding:0;background-color:{c.BackgroundColor};\">\n");
        h.Append($"<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" bgcolor=\"{c.BackgroundColor}\" style=\"background-color:{c.BackgroundColor};\">\n");
        h.Append("<tr><td align=\"center\" style=\"padding:24px 12px;\">\n");
        h.Append("<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" bgcolor=\"#FFFFFF\" style=\"width:100%;max-width:600px;background-color:#FFFFFF;border:1px solid #E5E7EB;border-radius:8px;\">\n");

        if (logo is not null)
        {
            h.Append("<tr><td style=\"padding:24px 32px 0 32px;\">");
            h.Append($"<img src=\"cid:{E(logo.ContentId)}\" alt=\"{E(logo.Alt)}\" width=\"{logo.Width}\" height=\"{logo.Height}\" style=\"display:block;border:0;outline:none;text-decoration:none;width:{logo.Width}px;height:{logo.Height}px;max-width:100%;\">");
            h.Append("</td></tr>\n");
        }

        if (!string.IsNullOrWhiteSpace(c.PortalText))
        {
            h.Append($"<tr><td style=\"padding:16px 32px 0 32px;{font}font-size:13px;line-height:18px;color:{MutedColor};\">{E(c.PortalText)}</td></tr>\n");
        }

        h.Append($"<tr><td style=\"padding:16px 32px 8px 32px;{font}font-size:20px;line-height:28px;font-weight:600;color:{TextColor};\"><h1 style=\"margin:0;font-size:20px;line-height:28px;font-weight:600;\">{E(c.Heading)}</h1></td></tr>\n");
        h.Append("<tr><td style=\"padding:8px 32px;\">\n");
        h.Append("<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>");
        h.Append($"<td style=\"padding:12px 24px;border:2px solid {c.AccentColor};border-radius:6px;background-color:#F9FAFB;\">");
        h.Append($"<span style=\"font-family:{MonoStack};font-size:32px;line-height:40px;font-weight:700;letter-spacing:6px;color:{TextColor};\">{E(c.Code)}</span>");
        h.Append("</td></tr></table>\n</td></tr>\n");
        h.Append($"<tr><td style=\"padding:8px 32px;{font}font-size:15px;line-height:22px;color:{TextColor};\">{E(c.Introduction)}</td></tr>\n");
        h.Append($"<tr><td style=\"padding:8px 32px;{font}font-size:15px;line-height:22px;color:{TextColor};\">{E(c.ReferenceLabel)}: <strong style=\"font-family:{MonoStack};letter-spacing:2px;\">{E(c.Reference)}</strong><br>\n{E(c.ReferenceExplanation)}</td></tr>\n");
        h.Append($"<tr><td style=\"padding:8px 32px;{font}font-size:15px;line-height:22px;color:{TextColor};\"><strong>{E(c.ExpiryLine)}</strong></td></tr>\n");
        h.Append($"<tr><td style=\"padding:8px 32px 16px 32px;{font}font-size:15px;line-height:22px;color:{TextColor};\">{E(c.IgnoreLine)}<br>\n{E(c.NeverShare)}</td></tr>\n");

        h.Append($"<tr><td style=\"padding:16px 32px 24px 32px;border-top:1px solid #E5E7EB;{font}font-size:12px;line-height:18px;color:{MutedColor};\">{E(c.AutomaticLine)}");
        if (!string.IsNullOrWhiteSpace(c.Disclaimer))
        {
            h.Append("<br><br>\n");
            h.Append(string.Join("<br>\n", c.Disclaimer.Split('\n').Select(E)));
        }

        h.Append("</td></tr>\n");
        h.Append("</table>\n</td></tr>\n</table>\n</body>\n</html>\n");
        return h.ToString();
    }

    private static string NormalizeNewLines(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    private static string SingleLine(string text) =>
        string.Join(' ', NormalizeNewLines(text).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static double ContrastWithWhite(string color)
    {
        static double Channel(string hex)
        {
            var value = int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
            return value <= 0.04045 ? value / 12.92 : Math.Pow((value + 0.055) / 1.055, 2.4);
        }

        var luminance = (0.2126 * Channel(color[1..3])) + (0.7152 * Channel(color[3..5])) + (0.0722 * Channel(color[5..7]));
        return 1.05 / (luminance + 0.05);
    }
}
