using MimeKit;
using MimeKit.Text;
using OmePortal.Core.Mime;

namespace OmePortal.Core.Rules;

/// <summary>An attachment as the rules see it: its file name (may be empty) and content type.</summary>
public sealed record RuleAttachment(string FileName, string ContentType);

/// <summary>
/// The facts about a message that rules look at, taken once from a parsed <see cref="MimeMessage"/>.
/// Only text is read: attachment content is never decoded (only names and types are looked at), and
/// the body text is capped at <see cref="MaxBodyChars"/> so that a huge body cannot make evaluation slow.
/// </summary>
public sealed record RuleMessage(
    string? Sender,
    IReadOnlyList<string> Recipients,
    string Subject,
    string BodyText,
    IReadOnlyList<RuleAttachment> Attachments)
{
    public const int MaxBodyChars = 2 * 1024 * 1024;

    /// <param name="envelopeSender">SMTP MAIL FROM; when null the From header is used.</param>
    /// <param name="envelopeRecipients">SMTP RCPT TO; when null the To, Cc and Bcc headers are used.</param>
    public static RuleMessage From(MimeMessage message, string? envelopeSender = null, IReadOnlyList<string>? envelopeRecipients = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sender = !string.IsNullOrWhiteSpace(envelopeSender)
            ? envelopeSender
            : message.From.Mailboxes.FirstOrDefault()?.Address ?? message.Sender?.Address;
        var recipients = envelopeRecipients is { Count: > 0 }
            ? envelopeRecipients
            : [.. message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes).Select(m => m.Address)];

        var body = new BodyTextCollector();
        var attachments = new List<RuleAttachment>();
        Walk(message.Body, body, attachments);
        return new RuleMessage(
            string.IsNullOrWhiteSpace(sender) ? null : Normalize(sender),
            [.. recipients.Where(r => !string.IsNullOrWhiteSpace(r)).Select(Normalize).Distinct(StringComparer.Ordinal)],
            message.Subject ?? string.Empty,
            body.ToString(),
            attachments);
    }

    private static string Normalize(string address) =>
        AddressNormalizer.IsValid(address) ? AddressNormalizer.Normalize(address) : address.Trim().ToLowerInvariant();

    private static void Walk(MimeEntity? entity, BodyTextCollector body, List<RuleAttachment> attachments)
    {
        switch (entity)
        {
            case null:
                return;
            case Multipart multipart when multipart.ContentType.IsMimeType("multipart", "alternative"):
                // One rendering of the body is enough: prefer plain text, else the last (richest) alternative.
                var plain = multipart.OfType<TextPart>().FirstOrDefault(p => p.IsPlain && !IsAttachment(p));
                if (plain is not null)
                {
                    Walk(plain, body, attachments);
                    foreach (var other in multipart.Where(p => p is not TextPart))
                    {
                        Walk(other, body, attachments);
                    }
                }
                else
                {
                    foreach (var part in multipart)
                    {
                        Walk(part, body, attachments);
                    }
                }

                return;
            case Multipart multipart:
                foreach (var part in multipart)
                {
                    Walk(part, body, attachments);
                }

                return;
            case MessagePart attached:
                attachments.Add(new RuleAttachment(attached.ContentDisposition?.FileName ?? string.Empty, attached.ContentType.MimeType.ToLowerInvariant()));
                return;
            case TextPart text when !IsAttachment(text):
                body.Add(text);
                return;
            case MimePart part:
                if (IsAttachment(part))
                {
                    attachments.Add(new RuleAttachment(part.FileName ?? string.Empty, part.ContentType.MimeType.ToLowerInvariant()));
                }

                return;
        }
    }

    /// <summary>An attachment is what a mail client would show as one: marked as such, or named and not an inline image.</summary>
    private static bool IsAttachment(MimePart part) =>
        part.IsAttachment || (!string.IsNullOrEmpty(part.FileName) && string.IsNullOrEmpty(part.ContentId));

    private sealed class BodyTextCollector
    {
        private readonly System.Text.StringBuilder _text = new();

        public void Add(TextPart part)
        {
            var remaining = MaxBodyChars - _text.Length;
            if (remaining <= 0)
            {
                return;
            }

            string text;
            try
            {
                text = part.IsHtml ? HtmlText(part.Text) : part.Text;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException)
            {
                // A part that cannot be decoded has no text to look at.
                return;
            }

            _text.Append(text.AsSpan(0, Math.Min(text.Length, remaining))).Append('\n');
        }

        public override string ToString() => _text.ToString();

        /// <summary>The text a reader sees: character data outside script and style, block tags as line breaks.</summary>
        private static string HtmlText(string html)
        {
            var builder = new System.Text.StringBuilder(html.Length / 2);
            var tokenizer = new HtmlTokenizer(new StringReader(html)) { DecodeCharacterReferences = true };
            var skipping = 0;
            while (tokenizer.ReadNextToken(out var token))
            {
                switch (token)
                {
                    case HtmlDataToken data when skipping == 0:
                        builder.Append(data.Data);
                        break;
                    case HtmlTagToken tag when tag.Id is HtmlTagId.Script or HtmlTagId.Style or HtmlTagId.Title:
                        if (!tag.IsEndTag && !tag.IsEmptyElement)
                        {
                            skipping++;
                        }
                        else if (tag.IsEndTag && skipping > 0)
                        {
                            skipping--;
                        }

                        break;
                    case HtmlTagToken tag when tag.Id is HtmlTagId.Br or HtmlTagId.P or HtmlTagId.Div or HtmlTagId.TR or HtmlTagId.LI or HtmlTagId.TD or HtmlTagId.TH:
                        builder.Append(' ');
                        break;
                }
            }

            return builder.ToString();
        }
    }
}
