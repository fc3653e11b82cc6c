using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Utils;
using OmePortal.Core.Mime;

namespace OmePortal.Core.Replies;

/// <summary>
/// Builds replies, reply-alls and forwards as MIME. Pure: the original's facts come from its render
/// model, the sender is the verified address of the session, and the only things a person types
/// (the text, forward addresses, file names) are validated here before they get near a header.
/// </summary>
/// <remarks>
/// Two steps, so that a page can show (and check) the recipients before anything is uploaded:
/// <see cref="Plan"/> decides From, To, Cc, Subject and the threading headers; <see cref="Build"/>
/// adds the text, the quoted original and the attachments.
/// </remarks>
public static class ReplyBuilder
{
    /// <summary>Characters of the original quoted at most (the rest is cut with a marker).</summary>
    public const int MaxQuotedChars = 100_000;

    private static readonly ParserOptions StrictAddresses = CreateAddressOptions();

    /// <summary>Decides the headers of a reply in <paramref name="mode"/>.</summary>
    /// <param name="verifiedSender">The address the session proved; the only source of From.</param>
    /// <param name="forwardTo">For <see cref="ReplyMode.Forward"/>: the addresses as typed, separated by commas or semicolons. Ignored otherwise.</param>
    public static ReplyPlanResult Plan(OriginalMessage original, ReplyMode mode, string verifiedSender, string? forwardTo = null, int maxForwardRecipients = 20)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (!TryMailbox(null, verifiedSender, out var self))
            return new ReplyPlanResult.Invalid(ReplyPlanError.InvalidSender);

        // The replier's own display name, if the original addressed them with one.
        var name = original.To.Concat(original.Cc)
            .FirstOrDefault(a => a.Address is not null && Normalized(a.Address) == self.Address)?.Name;
        self = self with { Name = NameOrNull(name) };

        List<ReplyAddress> to;
        List<ReplyAddress> cc = [];
        switch (mode)
        {
            case ReplyMode.Reply:
                to = Usable(Author(original)).Where(a => a.Address != self.Address).ToList();
                if (to.Count == 0)
                {
                    // Replying to one's own message answers the people it went to.
                    to = Usable(original.To).Where(a => a.Address != self.Address).ToList();
                }

                break;
            case ReplyMode.ReplyAll:
                to = Usable(Author(original).Concat(original.To)).Where(a => a.Address != self.Address).ToList();
                cc = Usable(original.Cc).Where(a => a.Address != self.Address && to.All(t => t.Address != a.Address)).ToList();
                break;
            case ReplyMode.Forward:
                var (typed, invalid) = ParseForwardAddresses(forwardTo, maxForwardRecipients);
                if (invalid is not null)
                    return invalid;
                to = typed;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode));
        }

        if (to.Count == 0 && cc.Count == 0)
            return new ReplyPlanResult.Invalid(ReplyPlanError.NoRecipients);

        var subjectCore = HeaderText.WithoutPrefixes(original.Subject);
        var prefix = mode == ReplyMode.Forward ? "Fwd:" : "Re:";
        var subject = subjectCore.Length == 0 ? prefix : $"{prefix} {subjectCore}";

        var inReplyTo = HeaderText.IsSafeMessageId(original.MessageId) ? original.MessageId : null;
        var references = original.References.Where(HeaderText.IsSafeMessageId).ToList();
        if (inReplyTo is not null)
            references.Add(inReplyTo);
        references = [.. references.Distinct(StringComparer.Ordinal)];
        if (references.Count > HeaderText.MaxReferences)
            references = [references[0], .. references.TakeLast(HeaderText.MaxReferences - 1)];

        return new ReplyPlanResult.Planned(new ReplyPlan(mode, self, to, cc, subject, inReplyTo, references));
    }

    /// <summary>
    /// Builds the MIME message: From, To, Cc, Subject and threading headers from <paramref name="plan"/>,
    /// a new Message-ID at <paramref name="messageIdDomain"/>, the date, a UTF-8 text part holding
    /// <paramref name="body"/> followed by the quoted original, then the attachments.
    /// </summary>
    public static MimeMessage Build(
        ReplyPlan plan,
        OriginalMessage original,
        string body,
        ReplyTexts texts,
        IReadOnlyList<ReplyAttachment> attachments,
        DateTimeOffset now,
        string messageIdDomain)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(attachments);

        var message = new MimeMessage();
        message.From.Add(Mailbox(plan.From));
        message.To.AddRange(plan.To.Select(Mailbox));
        message.Cc.AddRange(plan.Cc.Select(Mailbox));
        message.Subject = HeaderText.OneLine(plan.Subject);
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(SafeDomain(messageIdDomain));
        if (plan.InReplyTo is { } inReplyTo && HeaderText.IsSafeMessageId(inReplyTo))
            message.InReplyTo = inReplyTo;
        message.References.AddRange(plan.References.Where(HeaderText.IsSafeMessageId));

        var text = new TextPart("plain") { ContentTransferEncoding = ContentEncoding.QuotedPrintable };
        text.SetText(Encoding.UTF8, ComposeText(plan.Mode, body, original, texts));

        if (attachments.Count == 0)
        {
            message.Body = text;
            return message;
        }

        var mixed = new Multipart("mixed") { text };
        for (var i = 0; i < attachments.Count; i++)
            mixed.Add(AttachmentPart(attachments[i], i));
        message.Body = mixed;
        return message;
    }

    /// <summary>The text of the reply: what was typed, then the quoted (reply) or included (forward) original.</summary>
    public static string ComposeText(ReplyMode mode, string body, OriginalMessage original, ReplyTexts texts)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(texts);
        var typed = HeaderText.Body(body).TrimEnd();
        var quoted = HeaderText.Body(original.Text);
        if (quoted.Length > MaxQuotedChars)
            quoted = quoted[..MaxQuotedChars] + "\n[…]";

        var builder = new StringBuilder(typed.Length + quoted.Length + 512);
        builder.Append(typed);
        if (builder.Length > 0)
            builder.Append("\n\n");

        var sender = Display(Author(original).FirstOrDefault() ?? new RenderAddress(null, original.SenderAddress));
        if (mode == ReplyMode.Forward)
        {
            builder.Append(texts.ForwardedMessage).Append('\n');
            builder.Append(texts.FromLabel).Append(": ").Append(sender).Append('\n');
            if (original.Date is { } forwardedDate)
                builder.Append(texts.DateLabel).Append(": ").Append(FormatDate(forwardedDate, texts.Culture)).Append('\n');
            builder.Append(texts.SubjectLabel).Append(": ").Append(HeaderText.OneLine(original.Subject)).Append('\n');
            if (original.To.Count > 0)
                builder.Append(texts.ToLabel).Append(": ").Append(string.Join(", ", original.To.Select(Display))).Append('\n');
            if (original.Cc.Count > 0)
                builder.Append(texts.CcLabel).Append(": ").Append(string.Join(", ", original.Cc.Select(Display))).Append('\n');
            builder.Append('\n').Append(quoted);
        }
        else
        {
            var intro = original.Date is { } date
                ? string.Format(texts.Culture, texts.Wrote, FormatDate(date, texts.Culture), sender)
                : string.Format(texts.Culture, texts.WroteNoDate, sender);
            builder.Append(HeaderText.OneLine(intro)).Append('\n');
            foreach (var line in quoted.Split('\n'))
                builder.Append(line.Length == 0 ? ">" : "> " + line).Append('\n');
        }

        return builder.ToString().TrimEnd() + "\n";
    }

    /// <summary>A content type made only of token characters, else application/octet-stream.</summary>
    public static string SafeContentType(string? contentType)
    {
        var value = (contentType ?? string.Empty).Trim().ToLowerInvariant();
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == value.Length - 1 || value.Length > 127)
            return "application/octet-stream";
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '+' or '-' or '_'))
                return "application/octet-stream";
        }

        return value.IndexOf('/', slash + 1) >= 0 ? "application/octet-stream" : value;
    }

    private static MimePart AttachmentPart(ReplyAttachment attachment, int index)
    {
        var type = SafeContentType(attachment.ContentType);

        // A nested message must not be base64 (RFC 2046 §5.2.1): attach it as an opaque file instead.
        if (type.StartsWith("message/", StringComparison.Ordinal) || type.StartsWith("multipart/", StringComparison.Ordinal))
            type = "application/octet-stream";

        var part = new MimePart(ContentType.Parse(type))
        {
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = HeaderText.FileName(attachment.FileName, index) },
            ContentTransferEncoding = ContentEncoding.Base64,
            Content = new MimeContent(attachment.Content, attachment.ContentIsBase64 ? ContentEncoding.Base64 : ContentEncoding.Default),
        };
        return part;
    }

    private static (List<ReplyAddress> Addresses, ReplyPlanResult.Invalid? Invalid) ParseForwardAddresses(string? input, int max)
    {
        var entries = (input ?? string.Empty).Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new List<ReplyAddress>();
        foreach (var entry in entries)
        {
            if (!TryParseTyped(entry, out var address))
                return ([], new ReplyPlanResult.Invalid(ReplyPlanError.InvalidAddress, HeaderText.OneLine(entry)));
            if (result.All(a => a.Address != address.Address))
                result.Add(address);
        }

        if (result.Count > max)
            return ([], new ReplyPlanResult.Invalid(ReplyPlanError.TooManyRecipients));
        return (result, null);
    }

    /// <summary>
    /// One typed address: no control characters at all, exactly one mailbox as MimeKit parses it
    /// strictly, and valid by <see cref="AddressNormalizer.IsValid"/>. A display name is dropped.
    /// </summary>
    private static bool TryParseTyped(string entry, out ReplyAddress address)
    {
        address = null!;
        if (entry.Length > 320 || entry.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
            return false;
        if (!MailboxAddress.TryParse(StrictAddresses, entry, out var mailbox) || mailbox.Route.Count > 0)
            return false;
        return TryMailbox(null, mailbox.Address, out address);
    }

    private static IEnumerable<RenderAddress> Author(OriginalMessage original) =>
        original.ReplyTo.Count > 0 ? original.ReplyTo
        : original.From.Count > 0 ? original.From
        : [new RenderAddress(null, original.SenderAddress)];

    /// <summary>Addresses of the original that are usable, normalised, each once; unusable ones are skipped.</summary>
    private static IEnumerable<ReplyAddress> Usable(IEnumerable<RenderAddress> addresses)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in addresses)
        {
            if (TryMailbox(candidate.Name, candidate.Address, out var mailbox) && seen.Add(mailbox.Address))
                yield return mailbox;
        }
    }

    private static bool TryMailbox(string? name, string? address, out ReplyAddress mailbox)
    {
        mailbox = null!;
        if (string.IsNullOrWhiteSpace(address) || address.Any(char.IsControl) || !AddressNormalizer.IsValid(address))
            return false;
        mailbox = new ReplyAddress(NameOrNull(name), Normalized(address));
        return true;
    }

    private static string Normalized(string address) => AddressNormalizer.Normalize(address);

    private static string? NameOrNull(string? name)
    {
        var cleaned = HeaderText.OneLine(name);
        if (cleaned.Length > 200)
            cleaned = cleaned[..200];
        return cleaned.Length == 0 ? null : cleaned;
    }

    private static MailboxAddress Mailbox(ReplyAddress address) => new(HeaderText.OneLine(address.Name), address.Address);

    private static string Display(RenderAddress address)
    {
        var name = HeaderText.OneLine(address.Name);
        var mail = HeaderText.OneLine(address.Address);
        return name.Length == 0 || string.Equals(name, mail, StringComparison.OrdinalIgnoreCase) ? mail : $"{name} <{mail}>";
    }

    private static string FormatDate(DateTimeOffset date, CultureInfo culture) =>
        date.ToUniversalTime().ToString("f", culture) + " UTC";

    private static string SafeDomain(string? domain)
    {
        var value = (domain ?? string.Empty).Trim().ToLowerInvariant();
        return value.Length is > 0 and <= 253 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-') ? value : "omeportal.invalid";
    }

    private static ParserOptions CreateAddressOptions()
    {
        var options = ParserOptions.Default.Clone();
        options.AddressParserComplianceMode = RfcComplianceMode.Strict;
        options.AllowAddressesWithoutDomain = false;
        return options;
    }
}
