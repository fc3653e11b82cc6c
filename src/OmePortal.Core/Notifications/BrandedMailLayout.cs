using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Text;
using MimeKit.Utils;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>
/// The one shell every branded mail of the portal is built in, so that a notification and a passcode
/// mail from the same tenant look like the same sender (docs/ARCHITECTURE.md, "Mail"): the HTML page
/// (brand background, white card, the logo as a <c>cid:</c> related part), a footer on the brand
/// background, the plain-text frame, the MIME body (<c>multipart/alternative</c>, with
/// <c>multipart/related</c> only when there is a logo), the addresses and the common headers. Each
/// composer adds only its own rows.
/// </summary>
/// <remarks>
/// Colours follow WCAG 2.x: <see cref="AccentColor"/> carries white text and
/// <see cref="FooterTextColor"/> sits on the brand background, and both reach at least 4.5:1 (AA for
/// body text) whatever the brand colour is. Every text handed to a row is encoded by the caller with
/// <see cref="E"/> (brand texts and names are untrusted plain text).
/// </remarks>
internal sealed class BrandedMailLayout
{
    public const string CardColor = "#FFFFFF";
    public const string TextColor = "#1F2937";
    public const string MutedColor = "#4B5563";
    public const string BorderColor = "#E5E7EB";
    public const string FontStack = "'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
    public const string MonoStack = "Consolas,'Roboto Mono','Courier New',monospace";

    /// <summary>The accent used when the brand colour is too light to carry white text.</summary>
    public const string FallbackAccentColor = BrandColors.PortalAccent;

    /// <summary>The light and dark footer text colours; whichever contrasts more with the brand background is used.</summary>
    public const string LightText = BrandColors.LightText;
    public const string DarkText = BrandColors.DarkText;

    /// <summary>WCAG AA for normal-size text.</summary>
    public const double MinimumContrast = BrandColors.MinimumTextContrast;

    private const string Font = "font-family:" + FontStack + ";";
    private const int LogoMaxWidth = 240;
    private const int LogoMaxHeight = 60;

    private BrandedMailLayout(string language, string backgroundColor, MailboxAddress from, MailLogo? logo)
    {
        Language = language;
        BackgroundColor = backgroundColor;
        From = from;
        Logo = logo;
        AccentColor = BrandColors.AccentOnWhite(backgroundColor);
        FooterTextColor = ReadableTextOn(backgroundColor);
    }

    /// <summary>The language of the page (<c>lang</c> of the HTML, first in Content-Language).</summary>
    public string Language { get; }

    /// <summary>The brand background, <c>#RRGGBB</c> upper case (white when the brand's value is not a colour).</summary>
    public string BackgroundColor { get; }

    /// <summary>The accent the portal pages use too (<see cref="BrandColors.AccentOnWhite"/>): white text on it is readable (AA).</summary>
    public string AccentColor { get; }

    /// <summary>The footer's text colour on <see cref="BackgroundColor"/>: light or dark, whichever reaches AA.</summary>
    public string FooterTextColor { get; }

    /// <summary>The portal's sender address (From).</summary>
    public MailboxAddress From { get; }

    /// <summary>The brand logo as an inline related part, or null when the brand has none (or it is not an image).</summary>
    public MailLogo? Logo { get; }

    /// <summary>
    /// The layout for one mail. Throws <see cref="ArgumentException"/> for a bad <paramref name="fromAddress"/>.
    /// </summary>
    public static BrandedMailLayout For(BrandTemplate brand, string language, string fromAddress, string? fromName, string logoAlt)
    {
        var from = Mailbox(NotificationComposer.CleanDisplayName(fromName), fromAddress, "FromAddress");
        var background = BrandValidator.IsColor(brand.BackgroundColor) ? brand.BackgroundColor.ToUpperInvariant() : "#FFFFFF";
        return new BrandedMailLayout(language, background, from, LogoPart(brand.Logo, from.Domain, logoAlt));
    }

    /// <summary>
    /// A new message with the headers every portal mail carries: From, To, Subject, Date, Message-ID, and
    /// the markers that keep auto-responders quiet.
    /// </summary>
    public MimeMessage NewMessage(MailboxAddress to, string subject, DateTimeOffset date)
    {
        var message = new MimeMessage();
        message.From.Add(From);
        message.To.Add(to);
        message.Subject = subject;
        message.Date = date;
        message.MessageId = MimeUtils.GenerateMessageId(From.Domain);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("X-Auto-Response-Suppress", "All");
        return message;
    }

    /// <summary>
    /// <c>multipart/alternative</c> of the plain text and the HTML page; the HTML sits in a
    /// <c>multipart/related</c> with the logo when there is one.
    /// </summary>
    public MultipartAlternative Body(string plainText, string html)
    {
        var htmlPart = TextBody(TextFormat.Html, html);
        MimeEntity htmlEntity = htmlPart;
        if (Logo is not null)
        {
            // Setting Root inserts the part (and the type parameter); adding it as well would list it twice.
            var related = new MultipartRelated { Root = htmlPart };
            related.Add(Logo.Part);
            htmlEntity = related;
        }

        return new MultipartAlternative
        {
            TextBody(TextFormat.Plain, plainText),
            htmlEntity,
        };
    }

    /// <summary>
    /// The HTML page: <paramref name="cardRows"/> (table rows, see <see cref="TextRow"/>) inside the white
    /// card under the logo, and <paramref name="footerHtml"/> (if any) below the card, on the brand background.
    /// </summary>
    public string Html(string title, string cardRows, string? footerHtml, string? extraHead = null)
    {
        var h = new StringBuilder(4096 + cardRows.Length);
        h.Append("<!DOCTYPE html>\n");
        h.Append($"<html lang=\"{E(Language)}\" dir=\"ltr\">\n<head>\n");
        h.Append("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<meta name=\"color-scheme\" content=\"light\">\n");
        h.Append(extraHead);
        h.Append($"<title>{E(title)}</title>\n</head>\n");
        h.Append($"<body style=\"margin:0;padding:0;background-color:{BackgroundColor};\">\n");
        h.Append($"<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" bgcolor=\"{BackgroundColor}\" style=\"background-color:{BackgroundColor};\">\n");
        h.Append("<tr><td align=\"center\" style=\"padding:24px 12px;\">\n");
        h.Append($"<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" bgcolor=\"{CardColor}\" style=\"width:100%;max-width:600px;background-color:{CardColor};border:1px solid {BorderColor};border-radius:8px;\">\n");
        if (Logo is not null)
        {
            h.Append("<tr><td style=\"padding:24px 32px 0 32px;\">");
            h.Append($"<img src=\"cid:{E(Logo.ContentId)}\" alt=\"{E(Logo.Alt)}\" width=\"{Logo.Width}\" height=\"{Logo.Height}\" style=\"display:block;border:0;outline:none;text-decoration:none;width:{Logo.Width}px;height:{Logo.Height}px;max-width:100%;\">");
            h.Append("</td></tr>\n");
        }

        h.Append(cardRows);
        h.Append("</table>\n");
        if (!string.IsNullOrEmpty(footerHtml))
        {
            h.Append("<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:100%;max-width:600px;\">\n");
            h.Append($"<tr><td data-mail-footer style=\"padding:16px 32px 0 32px;{Font}font-size:12px;line-height:18px;color:{FooterTextColor};\">{footerHtml}</td></tr>\n");
            h.Append("</table>\n");
        }

        h.Append("</td></tr>\n</table>\n</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>One card row of text in the mail's font. <paramref name="innerHtml"/> must already be encoded.</summary>
    public static string TextRow(string innerHtml, string padding = "8px 32px", int size = 15, int lineHeight = 22, string color = TextColor, string? extraStyle = null, string? language = null) =>
        $"<tr><td{(language is null ? string.Empty : $" lang=\"{E(language)}\"")} style=\"padding:{padding};{Font}font-size:{size.ToString(CultureInfo.InvariantCulture)}px;line-height:{lineHeight.ToString(CultureInfo.InvariantCulture)}px;{extraStyle}color:{color};\">{innerHtml}</td></tr>\n";

    /// <summary>A link in the footer: the footer's colour, underlined so it is told apart without colour.</summary>
    public string FooterLink(string href, string text) =>
        $"<a href=\"{E(href)}\" target=\"_blank\" rel=\"noopener noreferrer\" style=\"color:{FooterTextColor};text-decoration:underline;\">{E(text)}</a>";

    /// <summary>
    /// The plain-text frame: blocks separated by a blank line, blank blocks left out, and the footer
    /// blocks after the signature separator ("-- "), so mail clients can fold them.
    /// </summary>
    public static string Text(IEnumerable<string?> blocks, IEnumerable<string?> footer)
    {
        var body = blocks.Where(b => !string.IsNullOrWhiteSpace(b)).ToList();
        var small = footer.Where(b => !string.IsNullOrWhiteSpace(b)).ToList();
        if (small.Count > 0)
        {
            body.Add("-- \n" + string.Join("\n\n", small));
        }

        return string.Join("\n\n", body) + "\n";
    }

    /// <summary>Parses an address; throws <see cref="ArgumentException"/> naming <paramref name="parameter"/> when it is not one.</summary>
    public static MailboxAddress Mailbox(string? name, string address, string parameter)
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

    /// <summary>
    /// The text colour for <paramref name="background"/>: <see cref="LightText"/> or <see cref="DarkText"/>,
    /// whichever contrasts more; pure black in the rare middle where neither reaches
    /// <see cref="MinimumContrast"/> (black always does where white does not).
    /// </summary>
    public static string ReadableTextOn(string background) => BrandColors.ReadableTextOn(background);

    /// <summary>The WCAG 2.x contrast ratio of two <c>#RRGGBB</c> colours, 1 to 21.</summary>
    public static double ContrastRatio(string a, string b) => BrandColors.ContrastRatio(a, b);

    /// <summary>The WCAG 2.x relative luminance of a <c>#RRGGBB</c> colour (sRGB channels linearised).</summary>
    public static double RelativeLuminance(string color) => BrandColors.RelativeLuminance(color);

    /// <summary>
    /// HTML-encodes text for element content and quoted attribute values: the five markup characters
    /// become entities, control characters other than tab and line feed are dropped, everything else
    /// stays as UTF-8 (readable in the source, no entity soup for accented letters).
    /// </summary>
    public static string E(string text)
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

    /// <summary>Encoded text with its line breaks kept as <c>&lt;br&gt;</c>.</summary>
    public static string Multiline(string text) =>
        string.Join("<br>\n", NormalizeNewLines(text).Split('\n').Select(E));

    public static string NormalizeNewLines(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    public static string SingleLine(string text) =>
        string.Join(' ', NormalizeNewLines(text).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static MailLogo? LogoPart(BrandLogo? logo, string domain, string alt)
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
        return new MailLogo(part, contentId, alt, width, height);
    }

    private static TextPart TextBody(TextFormat format, string text)
    {
        var part = new TextPart(format) { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        part.SetText(Encoding.UTF8, text);
        return part;
    }
}

/// <summary>The brand logo as an inline part, with the size it is shown at (at most 240×60, aspect kept).</summary>
internal sealed record MailLogo(MimePart Part, string ContentId, string Alt, int Width, int Height);
