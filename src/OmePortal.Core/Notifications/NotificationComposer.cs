using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Text;
using MimeKit.Utils;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>
/// Builds the branded notification mail for one recipient (OME-like):
/// <code>
/// multipart/mixed
///   multipart/alternative
///     text/plain
///     multipart/related          (text/html alone when the brand has no logo)
///       text/html
///       image/* (the logo, Content-ID referenced as cid:)
///   text/html attachment "message.html"
/// </code>
/// The mail carries nothing the protected message says: the subject names only the sender. Every
/// brand text and the sender's name are treated as untrusted plain text and HTML-encoded; display
/// names are stripped of control characters before they reach a header.
/// </summary>
public static class NotificationComposer
{
    /// <summary>The header carrying the protected message's id, for tracing.</summary>
    public const string MessageIdHeader = "X-OmePortal-Message-Id";

    /// <summary>The file name of the self-contained HTML page attached to every notification.</summary>
    public const string AttachmentFileName = "message.html";

    /// <summary>Display names are cut to this many UTF-16 code units.</summary>
    public const int MaxDisplayNameLength = 100;

    private const string FallbackButtonColor = "#0F6CBD";
    private const string TextColor = "#1F2937";
    private const string MutedColor = "#4B5563";
    private const string FontStack = "'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
    private const int LogoMaxWidth = 240;
    private const int LogoMaxHeight = 60;

    /// <summary>Builds the notification mail. Throws <see cref="ArgumentException"/> for a bad address or link.</summary>
    public static MimeMessage Compose(NotificationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Brand, nameof(request.Brand));
        ArgumentNullException.ThrowIfNull(request.Link, nameof(request.Link));

        var brand = request.Brand;
        var link = CheckLink(request.Link);
        var language = BrandLanguages.Normalize(request.Language)
            ?? BrandLanguages.Normalize(brand.DefaultLanguage)
            ?? BrandLanguages.Default;
        var culture = BrandLanguages.Culture(language);
        string T(string key) => NotificationResources.Get(key, culture);

        var senderName = CleanDisplayName(request.SenderName);
        var sender = Mailbox(senderName, request.SenderAddress, nameof(request.SenderAddress));
        var recipient = Mailbox(null, request.RecipientAddress, nameof(request.RecipientAddress));
        var from = Mailbox(CleanDisplayName(request.FromName), request.FromAddress, nameof(request.FromAddress));

        var senderShort = senderName ?? sender.Address;
        var senderLong = senderName is null ? sender.Address : $"{senderName} ({sender.Address})";
        var texts = brand.TextsFor(language);
        string Fill(string? text) => NormalizeNewLines(text ?? string.Empty).Replace(BrandTexts.SenderPlaceholder, senderLong, StringComparison.Ordinal);

        var backgroundColor = BrandValidator.IsColor(brand.BackgroundColor) ? brand.BackgroundColor.ToUpperInvariant() : "#FFFFFF";
        var privacyUrl = brand.PrivacyStatementUrl is { } url && BrandValidator.CheckHttpsUrl(url) is null
            ? new Uri(url).AbsoluteUri
            : null;

        var content = new Content(
            Language: language,
            Subject: T("Subject").Replace("{sender}", senderShort, StringComparison.Ordinal),
            Introduction: Fill(texts.IntroductionText),
            ButtonText: SingleLine(texts.ReadButtonText is { Length: > 0 } button && !string.IsNullOrWhiteSpace(button)
                ? button
                : BrandTemplate.BuiltInTexts(language).ReadButtonText!),
            EmailText: Fill(texts.EmailText),
            Disclaimer: Fill(texts.DisclaimerText),
            ExpiryLine: request.ExpiresAt is { } expires
                ? T("ExpiryLine").Replace("{date}", expires.UtcDateTime.ToString("f", culture), StringComparison.Ordinal)
                : null,
            Link: link,
            LinkFallback: T("LinkFallback"),
            PrivacyUrl: privacyUrl,
            PrivacyLabel: T("PrivacyStatement"),
            BackgroundColor: backgroundColor,
            ButtonColor: ContrastWithWhite(backgroundColor) >= 4.5 ? backgroundColor : FallbackButtonColor,
            AttachmentTitle: T("AttachmentTitle"),
            AttachmentExplanation: T("AttachmentExplanation"));

        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(recipient);
        message.ReplyTo.Add(sender);
        message.Subject = content.Subject;
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = MimeUtils.GenerateMessageId(from.Domain);
        message.Headers.Add(MessageIdHeader, request.MessageId.ToString("D"));
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("X-Auto-Response-Suppress", "All");

        var logo = LogoPart(brand.Logo, from.Domain, T("LogoAlt"));
        var html = TextBody(TextFormat.Html, RenderHtml(content, logo));
        MimeEntity htmlEntity = html;
        if (logo is not null)
        {
            // Setting Root inserts the part (and the type parameter); adding it as well would list it twice.
            var related = new MultipartRelated { Root = html };
            related.Add(logo.Part);
            htmlEntity = related;
        }

        var alternative = new MultipartAlternative
        {
            TextBody(TextFormat.Plain, RenderText(content)),
            htmlEntity,
        };

        var attachment = new TextPart(TextFormat.Html)
        {
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        attachment.SetText(Encoding.UTF8, RenderAttachment(content));
        attachment.FileName = AttachmentFileName;

        var mixed = new Multipart("mixed") { alternative, attachment };
        mixed.Headers.Add(HeaderId.ContentLanguage, language); // Content-* headers belong to the body entity in MimeKit
        message.Body = mixed;
        return message;
    }

    /// <summary>
    /// A display name made safe for headers and texts: control, format (bidi override, zero-width) and
    /// separator characters removed, runs of white space collapsed, cut to <see cref="MaxDisplayNameLength"/>;
    /// <see langword="null"/> when nothing is left.
    /// </summary>
    public static string? CleanDisplayName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var builder = new StringBuilder(Math.Min(name.Length, MaxDisplayNameLength));
        var pendingSpace = false;
        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (Rune.IsWhiteSpace(rune) || category is UnicodeCategory.Control or UnicodeCategory.Format
                    or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                    or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            var needed = rune.Utf16SequenceLength + (pendingSpace ? 1 : 0);
            if (builder.Length + needed > MaxDisplayNameLength)
            {
                break;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(rune.ToString());
        }

        return builder.Length == 0 ? null : builder.ToString();
    }

    private sealed record Content(
        string Language,
        string Subject,
        string Introduction,
        string ButtonText,
        string EmailText,
        string Disclaimer,
        string? ExpiryLine,
        string Link,
        string LinkFallback,
        string? PrivacyUrl,
        string PrivacyLabel,
        string BackgroundColor,
        string ButtonColor,
        string AttachmentTitle,
        string AttachmentExplanation);

    private sealed record Logo(MimePart Part, string ContentId, string Alt, int Width, int Height);

    private static string CheckLink(Uri link)
    {
        if (!link.IsAbsoluteUri
            || (link.Scheme != Uri.UriSchemeHttps && link.Scheme != Uri.UriSchemeHttp)
            || string.IsNullOrEmpty(link.Host)
            || link.UserInfo.Length > 0)
        {
            throw new ArgumentException("The link must be an absolute http or https URL without user information.", nameof(link));
        }

        return link.AbsoluteUri;
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
        void Add(string? block)
        {
            if (!string.IsNullOrWhiteSpace(block))
            {
                blocks.Add(block);
            }
        }

        Add(c.Introduction);
        blocks.Add($"{c.ButtonText}:\n{c.Link}");
        Add(c.EmailText);
        Add(c.ExpiryLine);
        if (c.PrivacyUrl is not null)
        {
            blocks.Add($"{c.PrivacyLabel}:\n{c.PrivacyUrl}");
        }

        if (!string.IsNullOrWhiteSpace(c.Disclaimer))
        {
            blocks.Add("-- \n" + c.Disclaimer);
        }

        return string.Join("\n\n", blocks) + "\n";
    }

    private static string RenderHtml(Content c, Logo? logo)
    {
        var font = $"font-family:{FontStack};";
        var h = new StringBuilder(4096);
        h.Append("<!DOCTYPE html>\n");
        h.Append($"<html lang=\"{E(c.Language)}\" dir=\"ltr\">\n<head>\n");
        h.Append("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<meta name=\"color-scheme\" content=\"light\">\n");
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

        if (!string.IsNullOrWhiteSpace(c.Introduction))
        {
            h.Append($"<tr><td style=\"padding:24px 32px 8px 32px;{font}font-size:20px;line-height:28px;font-weight:600;color:{TextColor};\">{Multiline(c.Introduction)}</td></tr>\n");
        }

        h.Append("<tr><td style=\"padding:16px 32px;\">\n");
        h.Append("<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>");
        h.Append($"<td align=\"center\" bgcolor=\"{c.ButtonColor}\" style=\"border-radius:4px;background-color:{c.ButtonColor};\">");
        h.Append($"<a href=\"{E(c.Link)}\" target=\"_blank\" rel=\"noopener noreferrer\" style=\"display:inline-block;padding:12px 28px;{font}font-size:16px;line-height:20px;font-weight:600;color:#FFFFFF;text-decoration:none;border-radius:4px;\">{E(c.ButtonText)}</a>");
        h.Append("</td></tr></table>\n</td></tr>\n");

        if (!string.IsNullOrWhiteSpace(c.EmailText))
        {
            h.Append($"<tr><td style=\"padding:8px 32px;{font}font-size:15px;line-height:22px;color:{TextColor};\">{Multiline(c.EmailText)}</td></tr>\n");
        }

        if (c.ExpiryLine is not null)
        {
            h.Append($"<tr><td style=\"padding:8px 32px;{font}font-size:15px;line-height:22px;color:{TextColor};\"><strong>{E(c.ExpiryLine)}</strong></td></tr>\n");
        }

        h.Append($"<tr><td style=\"padding:8px 32px 16px 32px;{font}font-size:13px;line-height:18px;color:{MutedColor};\">{E(c.LinkFallback)}<br>");
        h.Append($"<a href=\"{E(c.Link)}\" target=\"_blank\" rel=\"noopener noreferrer\" style=\"color:{MutedColor};word-break:break-all;\">{E(c.Link)}</a></td></tr>\n");

        if (!string.IsNullOrWhiteSpace(c.Disclaimer) || c.PrivacyUrl is not null)
        {
            h.Append($"<tr><td style=\"padding:16px 32px 24px 32px;border-top:1px solid #E5E7EB;{font}font-size:12px;line-height:18px;color:{MutedColor};\">");
            if (!string.IsNullOrWhiteSpace(c.Disclaimer))
            {
                h.Append(Multiline(c.Disclaimer));
            }

            if (c.PrivacyUrl is not null)
            {
                if (!string.IsNullOrWhiteSpace(c.Disclaimer))
                {
                    h.Append("<br><br>");
                }

                h.Append($"<a href=\"{E(c.PrivacyUrl)}\" target=\"_blank\" rel=\"noopener noreferrer\" style=\"color:{MutedColor};\">{E(c.PrivacyLabel)}</a>");
            }

            h.Append("</td></tr>\n");
        }

        h.Append("</table>\n</td></tr>\n</table>\n</body>\n</html>\n");
        return h.ToString();
    }

    private static string RenderAttachment(Content c)
    {
        var h = new StringBuilder(2048);
        h.Append("<!DOCTYPE html>\n");
        h.Append($"<html lang=\"{E(c.Language)}\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n");
        h.Append("<meta name=\"referrer\" content=\"no-referrer\">\n");
        h.Append($"<title>{E(c.AttachmentTitle)}</title>\n<style>\n");
        h.Append($"body{{margin:0;padding:24px 12px;background:{c.BackgroundColor};font-family:{FontStack};color:{TextColor};}}\n");
        h.Append("main{max-width:560px;margin:0 auto;padding:32px;background:#FFFFFF;border:1px solid #E5E7EB;border-radius:8px;}\n");
        h.Append("h1{margin:0 0 16px;font-size:22px;line-height:1.3;}\n");
        h.Append("p{margin:0 0 16px;font-size:16px;line-height:1.5;}\n");
        h.Append($"a.button{{display:inline-block;padding:12px 28px;background:{c.ButtonColor};color:#FFFFFF;font-weight:600;text-decoration:none;border-radius:4px;}}\n");
        h.Append($"a.button:focus{{outline:3px solid {TextColor};outline-offset:2px;}}\n");
        h.Append($".small{{font-size:13px;color:{MutedColor};overflow-wrap:anywhere;}}\n");
        h.Append("</style>\n</head>\n<body>\n<main>\n");
        h.Append($"<h1>{E(c.AttachmentTitle)}</h1>\n");
        if (!string.IsNullOrWhiteSpace(c.Introduction))
        {
            h.Append($"<p>{Multiline(c.Introduction)}</p>\n");
        }

        h.Append($"<p>{E(c.AttachmentExplanation)}</p>\n");
        h.Append($"<p><a class=\"button\" href=\"{E(c.Link)}\" rel=\"noopener noreferrer\">{E(c.ButtonText)}</a></p>\n");
        if (c.ExpiryLine is not null)
        {
            h.Append($"<p>{E(c.ExpiryLine)}</p>\n");
        }

        h.Append($"<p class=\"small\">{E(c.LinkFallback)}<br><a href=\"{E(c.Link)}\" rel=\"noopener noreferrer\">{E(c.Link)}</a></p>\n");
        h.Append("</main>\n</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>
    /// HTML-encodes text for element content and quoted attribute values: the five markup characters
    /// become entities, control characters other than tab and line feed are dropped, everything else
    /// stays as UTF-8 (readable in the source, no entity soup for accented letters).
    /// </summary>
    internal static string E(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '"': builder.Append("&quot;"); break;
                case '\'': builder.Append("&#39;"); break;
                case '\t' or '\n': builder.Append(c); break;
                default:
                    if (!char.IsControl(c))
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    private static string Multiline(string text) =>
        string.Join("<br>\n", NormalizeNewLines(text).Split('\n').Select(E));

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
