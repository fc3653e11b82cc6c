using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Text;
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

    /// <summary>Longest original subject a notification's subject carries; a longer one is cut.</summary>
    public const int MaxSubjectLength = 120;

    /// <summary>Builds the notification mail. Throws <see cref="ArgumentException"/> for a bad address or link.</summary>
    /// <remarks>
    /// The mail is in <see cref="NotificationRequest.Language"/> (else the brand's default language); when the
    /// brand sends notifications in both languages (<see cref="BrandTemplate.NotifyInBothLanguages"/>), the
    /// other supported language follows, each block marked with its <c>lang</c>.
    /// </remarks>
    public static MimeMessage Compose(NotificationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Brand, nameof(request.Brand));
        ArgumentNullException.ThrowIfNull(request.Link, nameof(request.Link));

        var brand = request.Brand;
        var link = CheckLink(request.Link);
        var languages = LanguagesOf(request.Language, brand);

        var senderName = CleanDisplayName(request.SenderName);
        var sender = BrandedMailLayout.Mailbox(senderName, request.SenderAddress, nameof(request.SenderAddress));
        var recipient = BrandedMailLayout.Mailbox(null, request.RecipientAddress, nameof(request.RecipientAddress));
        var layout = BrandedMailLayout.For(brand, languages[0], request.FromAddress, request.FromName,
            NotificationResources.Get("LogoAlt", BrandLanguages.Culture(languages[0])));

        var senderShort = senderName ?? sender.Address;
        var senderLong = senderName is null ? sender.Address : $"{senderName} ({sender.Address})";
        var privacyUrl = brand.PrivacyStatementUrl is { } url && BrandValidator.CheckHttpsUrl(url) is null
            ? new Uri(url).AbsoluteUri
            : null;
        var contents = languages.Select(language => ContentIn(language, brand, request.ExpiresAt, senderShort, senderLong, request.SignIn)).ToList();
        var bilingual = contents.Count > 1;

        // The original subject once, after the sentence in every language: "Ann Smith has sent you a protected message: Your statement".
        var subject = string.Join(" / ", contents.Select(c => c.Subject)) + OriginalSubjectSuffix(brand, request.OriginalSubject);
        var message = layout.NewMessage(recipient, subject, DateTimeOffset.UtcNow);
        message.ReplyTo.Add(sender);
        message.Headers.Add(MessageIdHeader, request.MessageId.ToString("D"));

        var alternative = layout.Body(
            RenderText(contents, link, privacyUrl),
            layout.Html(subject, RenderRows(contents, layout, link, bilingual), RenderFooter(contents, layout, privacyUrl, bilingual)));

        var attachment = new TextPart(TextFormat.Html)
        {
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        attachment.SetText(Encoding.UTF8, RenderAttachment(contents, layout, link));
        attachment.FileName = AttachmentFileName;

        var mixed = new Multipart("mixed") { alternative, attachment };
        mixed.Headers.Add(HeaderId.ContentLanguage, string.Join(", ", languages)); // Content-* headers belong to the body entity in MimeKit
        message.Body = mixed;
        return message;
    }

    /// <summary>The mail's languages: the asked-for one (else the brand's default), then, if the brand wants both, the other.</summary>
    internal static IReadOnlyList<string> LanguagesOf(string? requested, BrandTemplate brand)
    {
        var first = BrandLanguages.Normalize(requested)
            ?? BrandLanguages.Normalize(brand.DefaultLanguage)
            ?? BrandLanguages.Default;
        return brand.NotifyInBothLanguages
            ? [first, .. BrandLanguages.Supported.Where(l => l != first)]
            : [first];
    }

    /// <summary>
    /// A display name made safe for headers and texts: control, format (bidi override, zero-width) and
    /// separator characters removed, runs of white space collapsed, cut to <see cref="MaxDisplayNameLength"/>;
    /// <see langword="null"/> when nothing is left.
    /// </summary>
    public static string? CleanDisplayName(string? name) => CleanSingleLine(name, MaxDisplayNameLength);

    /// <summary>
    /// ": subject" when the brand puts the original subject in the notification's subject, cleaned as a
    /// display name is and cut to <see cref="MaxSubjectLength"/> characters; empty otherwise.
    /// </summary>
    internal static string OriginalSubjectSuffix(BrandTemplate brand, string? originalSubject) =>
        brand.SubjectInNotification && CleanSingleLine(originalSubject, MaxSubjectLength) is { } subject ? ": " + subject : string.Empty;

    private static string? CleanSingleLine(string? name, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var builder = new StringBuilder(Math.Min(name.Length, maxLength));
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
            if (builder.Length + needed > maxLength)
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

    /// <summary>The texts of the mail in one language.</summary>
    private sealed record Content(
        string Language,
        string Subject,
        string Introduction,
        string ButtonText,
        string EmailText,
        string? SignInLine,
        string Disclaimer,
        string? ExpiryLine,
        string LinkFallback,
        string PrivacyLabel,
        string AttachmentTitle,
        string AttachmentExplanation);

    private static Content ContentIn(string language, BrandTemplate brand, DateTimeOffset? expiresAt, string senderShort, string senderLong, NotificationSignIn? signIn)
    {
        var culture = BrandLanguages.Culture(language);
        string T(string key) => NotificationResources.Get(key, culture);
        var texts = brand.TextsFor(language);
        string Fill(string? text) => BrandedMailLayout.NormalizeNewLines(text ?? string.Empty).Replace(BrandTexts.SenderPlaceholder, senderLong, StringComparison.Ordinal);
        return new Content(
            Language: language,
            Subject: T("Subject").Replace("{sender}", senderShort, StringComparison.Ordinal),
            Introduction: Fill(texts.IntroductionText),
            ButtonText: SingleLine(texts.ReadButtonText is { Length: > 0 } button && !string.IsNullOrWhiteSpace(button)
                ? button
                : BrandTemplate.BuiltInTexts(language).ReadButtonText!),
            EmailText: Fill(texts.EmailText),
            SignInLine: SignInLine(signIn, culture),
            Disclaimer: Fill(texts.DisclaimerText),
            ExpiryLine: expiresAt is { } expires
                ? T("ExpiryLine").Replace("{date}", expires.UtcDateTime.ToString("f", culture), StringComparison.Ordinal)
                : null,
            LinkFallback: T("LinkFallback"),
            PrivacyLabel: T("PrivacyStatement"),
            AttachmentTitle: T("AttachmentTitle"),
            AttachmentExplanation: T("AttachmentExplanation"));
    }

    /// <summary>
    /// "To read it, you confirm that you are the recipient: with a one-time passcode …, or by signing in with …",
    /// naming only the methods <paramref name="signIn"/> holds; null when it holds none (or is not known).
    /// </summary>
    internal static string? SignInLine(NotificationSignIn? signIn, CultureInfo culture)
    {
        if (signIn is not { Any: true })
        {
            return null;
        }

        string T(string key) => NotificationResources.Get(key, culture);
        var ways = new List<string>();
        if (signIn.Passcode)
        {
            ways.Add(T("SignInPasscode"));
        }

        if (signIn.Microsoft)
        {
            ways.Add(T("SignInMicrosoft"));
        }

        foreach (var provider in signIn.OtherProviders)
        {
            ways.Add(T("SignInProvider").Replace("{provider}", SingleLine(provider), StringComparison.Ordinal));
        }

        var joined = ways.Count == 1 ? ways[0] : string.Join(", ", ways[..^1]) + T("SignInOr") + ways[^1];
        return T("SignInLine").Replace("{ways}", joined, StringComparison.Ordinal);
    }

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

    private static string RenderText(IReadOnlyList<Content> contents, string link, string? privacyUrl)
    {
        var blocks = new List<string?>();
        foreach (var c in contents)
        {
            blocks.Add(c.Introduction);
            blocks.Add($"{c.ButtonText}:\n{link}");
            blocks.Add(c.EmailText);
            blocks.Add(c.SignInLine);
            blocks.Add(c.ExpiryLine);
        }

        if (privacyUrl is not null)
        {
            blocks.Add(string.Join(" / ", contents.Select(c => c.PrivacyLabel)) + ":\n" + privacyUrl);
        }

        return BrandedMailLayout.Text(blocks, contents.Select(c => c.Disclaimer));
    }

    private static string RenderRows(IReadOnlyList<Content> contents, BrandedMailLayout layout, string link, bool bilingual)
    {
        const string Muted = BrandedMailLayout.MutedColor;
        var h = new StringBuilder(2048 * contents.Count);
        for (var i = 0; i < contents.Count; i++)
        {
            var c = contents[i];
            var lang = bilingual ? c.Language : null;
            if (i > 0)
            {
                // The second language starts under a rule, so a reader sees where their language begins.
                h.Append($"<tr><td style=\"padding:16px 32px 0 32px;\"><div style=\"border-top:1px solid {BrandedMailLayout.BorderColor};font-size:1px;line-height:1px;\">&nbsp;</div></td></tr>\n");
            }

            if (!string.IsNullOrWhiteSpace(c.Introduction))
            {
                h.Append(BrandedMailLayout.TextRow(Multiline(c.Introduction), "24px 32px 8px 32px", 20, 28, extraStyle: "font-weight:600;", language: lang));
            }

            h.Append($"<tr><td{(lang is null ? string.Empty : $" lang=\"{lang}\"")} style=\"padding:16px 32px;\">\n");
            h.Append("<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>");
            h.Append($"<td align=\"center\" bgcolor=\"{layout.AccentColor}\" style=\"border-radius:4px;background-color:{layout.AccentColor};\">");
            h.Append($"<a href=\"{E(link)}\" target=\"_blank\" rel=\"noopener noreferrer\" style=\"display:inline-block;padding:12px 28px;font-family:{BrandedMailLayout.FontStack};font-size:16px;line-height:20px;font-weight:600;color:{BrandedMailLayout.LightText};text-decoration:none;border-radius:4px;\">{E(c.ButtonText)}</a>");
            h.Append("</td></tr></table>\n</td></tr>\n");

            if (!string.IsNullOrWhiteSpace(c.EmailText))
            {
                h.Append(BrandedMailLayout.TextRow(Multiline(c.EmailText), language: lang));
            }

            if (c.SignInLine is not null)
            {
                h.Append(BrandedMailLayout.TextRow(E(c.SignInLine), language: lang));
            }

            if (c.ExpiryLine is not null)
            {
                h.Append(BrandedMailLayout.TextRow($"<strong>{E(c.ExpiryLine)}</strong>", language: lang));
            }

            h.Append(BrandedMailLayout.TextRow(
                $"{E(c.LinkFallback)}<br><a href=\"{E(link)}\" target=\"_blank\" rel=\"noopener noreferrer\" style=\"color:{Muted};word-break:break-all;\">{E(link)}</a>",
                "8px 32px 16px 32px", 13, 18, Muted, language: lang));
        }

        return h.ToString();
    }

    private static string? RenderFooter(IReadOnlyList<Content> contents, BrandedMailLayout layout, string? privacyUrl, bool bilingual)
    {
        var blocks = new List<string>();
        foreach (var c in contents)
        {
            var block = new StringBuilder();
            if (!string.IsNullOrWhiteSpace(c.Disclaimer))
            {
                block.Append(Multiline(c.Disclaimer));
            }

            if (privacyUrl is not null)
            {
                block.Append(block.Length > 0 ? "<br><br>" : string.Empty).Append(layout.FooterLink(privacyUrl, c.PrivacyLabel));
            }

            if (block.Length > 0)
            {
                blocks.Add(bilingual ? $"<div lang=\"{c.Language}\">{block}</div>" : block.ToString());
            }
        }

        return blocks.Count == 0 ? null : string.Join("<br>\n", blocks);
    }

    private static string RenderAttachment(IReadOnlyList<Content> contents, BrandedMailLayout layout, string link)
    {
        const string Text = BrandedMailLayout.TextColor;
        var first = contents[0];
        var h = new StringBuilder(2048 * contents.Count);
        h.Append("<!DOCTYPE html>\n");
        h.Append($"<html lang=\"{E(first.Language)}\" dir=\"ltr\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n");
        h.Append("<meta name=\"referrer\" content=\"no-referrer\">\n");
        h.Append($"<title>{E(first.AttachmentTitle)}</title>\n<style>\n");
        h.Append($"body{{margin:0;padding:24px 12px;background:{layout.BackgroundColor};font-family:{BrandedMailLayout.FontStack};color:{Text};}}\n");
        h.Append($"main{{max-width:560px;margin:0 auto;padding:32px;background:{BrandedMailLayout.CardColor};border:1px solid {BrandedMailLayout.BorderColor};border-radius:8px;}}\n");
        h.Append("h1,h2{margin:0 0 16px;font-size:22px;line-height:1.3;}\n");
        h.Append($"section+section{{margin-top:24px;padding-top:24px;border-top:1px solid {BrandedMailLayout.BorderColor};}}\n");
        h.Append("p{margin:0 0 16px;font-size:16px;line-height:1.5;}\n");
        h.Append($"a.button{{display:inline-block;padding:12px 28px;background:{layout.AccentColor};color:{BrandedMailLayout.LightText};font-weight:600;text-decoration:none;border-radius:4px;}}\n");
        h.Append($"a.button:focus{{outline:3px solid {Text};outline-offset:2px;}}\n");
        h.Append($".small{{font-size:13px;color:{BrandedMailLayout.MutedColor};overflow-wrap:anywhere;}}\n");
        h.Append("</style>\n</head>\n<body>\n<main>\n");
        for (var i = 0; i < contents.Count; i++)
        {
            var c = contents[i];
            var heading = i == 0 ? "h1" : "h2";
            h.Append(contents.Count > 1 ? $"<section lang=\"{c.Language}\">\n" : "<section>\n");
            h.Append($"<{heading}>{E(c.AttachmentTitle)}</{heading}>\n");
            if (!string.IsNullOrWhiteSpace(c.Introduction))
            {
                h.Append($"<p>{Multiline(c.Introduction)}</p>\n");
            }

            h.Append($"<p>{E(c.AttachmentExplanation)}</p>\n");
            h.Append($"<p><a class=\"button\" href=\"{E(link)}\" rel=\"noopener noreferrer\">{E(c.ButtonText)}</a></p>\n");
            if (c.ExpiryLine is not null)
            {
                h.Append($"<p>{E(c.ExpiryLine)}</p>\n");
            }

            h.Append($"<p class=\"small\">{E(c.LinkFallback)}<br><a href=\"{E(link)}\" rel=\"noopener noreferrer\">{E(link)}</a></p>\n");
            h.Append("</section>\n");
        }

        h.Append("</main>\n</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>HTML-encodes untrusted text; see <see cref="BrandedMailLayout.E"/>.</summary>
    internal static string E(string text) => BrandedMailLayout.E(text);

    private static string Multiline(string text) => BrandedMailLayout.Multiline(text);

    private static string SingleLine(string text) => BrandedMailLayout.SingleLine(text);
}
