using System.Text;
using MimeKit;
using MimeKit.IO;

namespace OmePortal.Core.Mime;

/// <summary>
/// Builds the <see cref="RenderModel"/> of a parsed message: header summary, sanitised HTML,
/// text body and attachment index (with byte ranges into the original MIME).
/// </summary>
/// <remarks>
/// Body parts are the text/html parts and the first text/plain part that are not marked as
/// attachments, found in document order without descending into attached messages. Every other
/// leaf part is an attachment, and so is each message/rfc822 part (one entry, not its contents).
/// </remarks>
public sealed class RenderModelBuilder
{
    private const int MaxFileNameLength = 200;
    private const string PartWrapperStart = "<div class=\"ome-part\">";
    private const string PartWrapperEnd = "</div>";

    private readonly EmailHtmlSanitizer _sanitizer;

    public RenderModelBuilder(EmailHtmlSanitizer sanitizer)
    {
        ArgumentNullException.ThrowIfNull(sanitizer);
        _sanitizer = sanitizer;
    }

    /// <param name="message">The message; its part contents must still be readable.</param>
    /// <param name="offsets">Content ranges collected while parsing (see <see cref="MimeEntityOffsets.Attach"/>);
    /// without them attachments get <see cref="AttachmentEntry.ContentOffset"/> -1.</param>
    public RenderModel Build(MimeMessage message, MimeEntityOffsets? offsets = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);

        var (htmlParts, textPart, attachmentEntities) = Classify(message);

        string? htmlBody = null;
        var blocked = 0;
        var truncated = false;
        var contentIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (htmlParts.Count > 0)
        {
            var html = new StringBuilder();
            foreach (var part in htmlParts)
            {
                ct.ThrowIfCancellationRequested();
                var result = _sanitizer.SanitizeDetailed(part.Text ?? string.Empty);
                html.Append(PartWrapperStart).Append(result.Html).Append(PartWrapperEnd);
                blocked += result.BlockedRemoteImages;
                truncated |= result.Truncated;
                contentIds.UnionWith(result.ContentIds);
            }

            htmlBody = html.ToString();
        }

        var attachments = new List<AttachmentEntry>(attachmentEntities.Count);
        foreach (var entity in attachmentEntities)
        {
            ct.ThrowIfCancellationRequested();
            attachments.Add(Describe(entity, attachments.Count, offsets, contentIds, ct));
        }

        return new RenderModel
        {
            PolicyVersion = EmailHtmlSanitizer.PolicyVersion,
            Subject = message.Headers.Contains(HeaderId.Subject) ? message.Subject : null,
            From = Addresses(message.From),
            To = Addresses(message.To),
            Cc = Addresses(message.Cc),
            ReplyTo = Addresses(message.ReplyTo),
            Date = message.Headers.Contains(HeaderId.Date) && message.Date != DateTimeOffset.MinValue ? message.Date : null,
            MessageId = NullIfEmpty(message.MessageId),
            InReplyTo = NullIfEmpty(message.InReplyTo),
            References = [.. message.References],
            HtmlBody = htmlBody,
            HtmlBodyTruncated = truncated,
            TextBody = textPart?.Text,
            BlockedRemoteImages = blocked,
            Attachments = attachments,
        };
    }

    private static (List<TextPart> Html, TextPart? Text, List<MimeEntity> Attachments) Classify(MimeMessage message)
    {
        var html = new List<TextPart>();
        TextPart? text = null;
        var attachments = new List<MimeEntity>();

        // Document order without recursion.
        var stack = new Stack<MimeEntity>();
        if (message.Body is not null)
            stack.Push(message.Body);

        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case Multipart multipart:
                    for (var i = multipart.Count - 1; i >= 0; i--)
                        stack.Push(multipart[i]);
                    break;
                case MessagePart attached:
                    attachments.Add(attached);
                    break;
                case TextPart { IsAttachment: false, IsHtml: true } htmlPart:
                    html.Add(htmlPart);
                    break;
                case TextPart { IsAttachment: false, IsPlain: true } plainPart when text is null:
                    text = plainPart;
                    break;
                case MimePart part:
                    attachments.Add(part);
                    break;
            }
        }

        return (html, text, attachments);
    }

    private static AttachmentEntry Describe(MimeEntity entity, int index, MimeEntityOffsets? offsets, HashSet<string> contentIds, CancellationToken ct)
    {
        var contentType = entity.ContentType.MimeType.ToLowerInvariant();
        var contentId = string.IsNullOrWhiteSpace(entity.ContentId) ? null : entity.ContentId.Trim();
        var isInline = contentId is not null && contentIds.Contains(contentId);

        long contentOffset = -1, contentLength = 0;
        if (offsets is not null && offsets.TryGet(entity, out var range))
            (contentOffset, contentLength) = (range.ContentOffset, range.ContentLength);

        string? fileName;
        string transferEncoding;
        long size;

        if (entity is MimePart part)
        {
            fileName = SafeFileName(part.FileName);
            transferEncoding = TransferEncodings.Name(part.ContentTransferEncoding);
            size = DecodedSize(part, ct);
        }
        else
        {
            var attached = (MessagePart)entity;
            fileName = SafeFileName(attached.ContentDisposition?.FileName ?? attached.ContentType.Name)
                ?? SafeFileName(attached.Message?.Subject is { } subject ? subject + ".eml" : null);
            var encoding = TransferEncodings.Parse(attached.Headers[HeaderId.ContentTransferEncoding]);
            transferEncoding = TransferEncodings.Name(encoding);
            size = contentOffset >= 0 && TransferEncodings.IsIdentity(encoding)
                ? contentLength
                : MessageSize(attached, ct);
        }

        fileName ??= DefaultFileName(index, contentType);

        return new AttachmentEntry(index, fileName, contentType, size, contentId, isInline, contentOffset, contentLength, transferEncoding, entity.IsAttachment);
    }

    private static long DecodedSize(MimePart part, CancellationToken ct)
    {
        if (part.Content is null)
            return 0;

        using var measure = new MeasuringStream();
        part.Content.DecodeTo(measure, ct);
        return measure.Length;
    }

    private static long MessageSize(MessagePart attached, CancellationToken ct)
    {
        if (attached.Message is null)
            return 0;

        using var measure = new MeasuringStream();
        attached.Message.WriteTo(measure, ct);
        return measure.Length;
    }

    private static string DefaultFileName(int index, string contentType)
    {
        var extension = MimeTypes.TryGetExtension(contentType, out var known) ? known : ".bin";
        return $"attachment-{index + 1}{extension}";
    }

    /// <summary>
    /// The last path segment of a decoded name, without control or bidirectional-override
    /// characters (which can disguise an extension), trimmed and shortened; null if nothing is left.
    /// </summary>
    internal static string? SafeFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return null;

        var segment = name.Replace('\\', '/');
        segment = segment[(segment.LastIndexOf('/') + 1)..];

        var clean = new StringBuilder(segment.Length);
        foreach (var c in segment)
        {
            if (char.IsControl(c) || IsBidiControl(c))
                continue;
            clean.Append(c);
        }

        var result = clean.ToString().Trim().TrimEnd('.').TrimEnd();
        if (result.Length == 0)
            return null;

        if (result.Length > MaxFileNameLength)
        {
            var extension = Path.GetExtension(result);
            if (extension.Length > 16)
                extension = string.Empty;

            var keep = MaxFileNameLength - extension.Length;
            if (char.IsHighSurrogate(result[keep - 1]))
                keep--;
            result = result[..keep] + extension;
        }

        return result;
    }

    private static bool IsBidiControl(char c) =>
        c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static List<RenderAddress> Addresses(InternetAddressList list) =>
        [.. list.Mailboxes.Select(m => new RenderAddress(string.IsNullOrWhiteSpace(m.Name) ? null : m.Name, m.Address))];

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
