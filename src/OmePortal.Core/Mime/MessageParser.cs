using MimeKit;
using OmePortal.Core.Intake;

namespace OmePortal.Core.Mime;

/// <summary>
/// Parses raw RFC 5322 bytes held in a seekable stream without copying content (MimeParser in
/// persistent mode), finds the recipients and builds the render model.
/// </summary>
public static class MessageParser
{
    private const int SniffBytes = 1024;

    private static readonly HeaderId[] MessageHeaders =
    [
        HeaderId.From, HeaderId.Sender, HeaderId.To, HeaderId.Cc, HeaderId.Bcc, HeaderId.Subject, HeaderId.Date,
    ];

    private static readonly ParserOptions Options = CreateOptions();

    static MessageParser() => MimeCharsets.EnsureRegistered();

    /// <summary>
    /// Parses the message that starts at the current position of <paramref name="seekableMime"/>.
    /// Offsets in the render model are relative to that position. The stream position is
    /// restored afterwards; the stream must stay open while the returned message is used.
    /// </summary>
    /// <param name="envelopeRecipients">SMTP RCPT TO addresses. When given they are the
    /// recipients (they include Bcc recipients that the headers hide); each takes its kind from
    /// the headers when listed there, else <see cref="RecipientKind.Bcc"/>.</param>
    public static ParseOutcome Parse(Stream seekableMime, IReadOnlyList<string>? envelopeRecipients = null, CancellationToken ct = default) =>
        Parse(seekableMime, envelopeRecipients, EmailHtmlSanitizer.Default, MimeLimits.Default, ct);

    /// <summary>As <see cref="Parse(Stream, IReadOnlyList{string}?, CancellationToken)"/>, with the given structure limits.</summary>
    public static ParseOutcome Parse(Stream seekableMime, IReadOnlyList<string>? envelopeRecipients, MimeLimits limits, CancellationToken ct = default) =>
        Parse(seekableMime, envelopeRecipients, EmailHtmlSanitizer.Default, limits, ct);

    /// <summary>As <see cref="Parse(Stream, IReadOnlyList{string}?, CancellationToken)"/>, with a given sanitiser.</summary>
    public static ParseOutcome Parse(Stream seekableMime, IReadOnlyList<string>? envelopeRecipients, EmailHtmlSanitizer sanitizer, CancellationToken ct = default) =>
        Parse(seekableMime, envelopeRecipients, sanitizer, MimeLimits.Default, ct);

    /// <summary>As <see cref="Parse(Stream, IReadOnlyList{string}?, CancellationToken)"/>, with a given sanitiser and limits.</summary>
    public static ParseOutcome Parse(Stream seekableMime, IReadOnlyList<string>? envelopeRecipients, EmailHtmlSanitizer sanitizer, MimeLimits limits, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(seekableMime);
        ArgumentNullException.ThrowIfNull(sanitizer);
        if (!seekableMime.CanSeek || !seekableMime.CanRead)
            throw new ArgumentException("The MIME stream must be readable and seekable.", nameof(seekableMime));

        var start = seekableMime.Position;
        try
        {
            return ParseCore(seekableMime, start, envelopeRecipients, sanitizer, limits, ct);
        }
        finally
        {
            seekableMime.Position = start;
        }
    }

    /// <summary>
    /// Only the structure limits (MIME parts, header lines), in one forward pass that builds nothing: for callers
    /// that look into a message before it is parsed (mail-flow rules, relay), so an oversized structure is refused
    /// before anything builds its object tree. Null when within the limits. The stream position is restored.
    /// </summary>
    public static ParseOutcome.Failed? CheckStructure(Stream seekableMime, MimeLimits limits, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(seekableMime);
        ArgumentNullException.ThrowIfNull(limits);
        var start = seekableMime.Position;
        try
        {
            return MimeStructureScan.FindViolation(Options, seekableMime, limits, ct) is { } violation
                ? new ParseOutcome.Failed(IngestError.TooComplex, violation)
                : null;
        }
        finally
        {
            seekableMime.Position = start;
        }
    }

    private static ParseOutcome ParseCore(Stream stream, long start, IReadOnlyList<string>? envelopeRecipients, EmailHtmlSanitizer sanitizer, MimeLimits limits, CancellationToken ct)
    {
        if (stream.Length - start <= 0)
            return new ParseOutcome.Failed(IngestError.NotAMessage, "The message is empty.");

        if (envelopeRecipients is { Count: var envelopeCount } && envelopeCount > limits.MaxRecipients)
            return TooManyRecipients(limits);

        if (MimeStructureScan.FindViolation(Options, stream, limits, ct) is { } violation)
            return new ParseOutcome.Failed(IngestError.TooComplex, violation);

        stream.Position = start;

        var parser = new MimeParser(Options, stream, MimeFormat.Entity, persistent: true);
        var offsets = MimeEntityOffsets.Attach(parser, start);

        MimeMessage message;
        try
        {
            message = parser.ParseMessage(ct);
        }
        catch (FormatException ex)
        {
            stream.Position = start;
            return StartsWithHeaderField(stream)
                ? new ParseOutcome.Failed(IngestError.Unparseable, $"The message could not be parsed: {ex.Message}")
                : new ParseOutcome.Failed(IngestError.NotAMessage, "The input does not start with email header fields, so it is not an email message.");
        }

        var keep = false;
        try
        {
            if (!MessageHeaders.Any(message.Headers.Contains))
            {
                return new ParseOutcome.Failed(IngestError.NotAMessage,
                    "The input has none of the headers of an email message (From, To, Cc, Bcc, Subject or Date).");
            }

            var recipients = CollectRecipients(message, envelopeRecipients);
            if (recipients.Count > limits.MaxRecipients)
                return TooManyRecipients(limits);

            if (recipients.Count == 0)
            {
                return new ParseOutcome.Failed(IngestError.NoRecipients, envelopeRecipients is null
                    ? "The message has no valid recipient address in its To, Cc or Bcc headers."
                    : "None of the envelope recipients is a valid email address.");
            }

            var model = new RenderModelBuilder(sanitizer).Build(message, offsets, ct);
            keep = true;
            return new ParseOutcome.Parsed(message, recipients, FindSender(message), model);
        }
        finally
        {
            if (!keep)
                message.Dispose();
        }
    }

    private static ParseOutcome.Failed TooManyRecipients(MimeLimits limits) =>
        new(IngestError.TooManyRecipients, $"The message has more than {limits.MaxRecipients} recipients, the most this portal accepts for one message.");

    /// <summary>Recipients from the headers, or from the envelope when one is given.</summary>
    internal static List<RecipientAddress> CollectRecipients(MimeMessage message, IReadOnlyList<string>? envelopeRecipients)
    {
        var fromHeaders = new List<RecipientAddress>();
        var kinds = new Dictionary<string, RecipientKind>(StringComparer.Ordinal);

        AddHeader(message.To, RecipientKind.To);
        AddHeader(message.Cc, RecipientKind.Cc);
        AddHeader(message.Bcc, RecipientKind.Bcc);

        if (envelopeRecipients is null)
            return fromHeaders;

        var fromEnvelope = new List<RecipientAddress>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in envelopeRecipients)
        {
            if (raw is null || !AddressNormalizer.IsValid(raw))
                continue;

            var address = AddressNormalizer.Normalize(raw);
            if (seen.Add(address))
                fromEnvelope.Add(new RecipientAddress(address, kinds.GetValueOrDefault(address, RecipientKind.Bcc)));
        }

        return fromEnvelope;

        void AddHeader(InternetAddressList list, RecipientKind kind)
        {
            foreach (var mailbox in list.Mailboxes)
            {
                var raw = mailbox.Address;
                if (string.IsNullOrWhiteSpace(raw) || !AddressNormalizer.IsValid(raw))
                    continue;

                var address = AddressNormalizer.Normalize(raw);
                if (kinds.TryAdd(address, kind))
                    fromHeaders.Add(new RecipientAddress(address, kind));
            }
        }
    }

    private static string? FindSender(MimeMessage message)
    {
        foreach (var mailbox in message.From.Mailboxes)
        {
            if (AddressNormalizer.IsValid(mailbox.Address))
                return AddressNormalizer.Normalize(mailbox.Address);
        }

        var sender = message.Sender?.Address;
        return sender is not null && AddressNormalizer.IsValid(sender) ? AddressNormalizer.Normalize(sender) : null;
    }

    /// <summary>Whether the first line looks like <c>Field-Name:</c> (RFC 5322 ftext then a colon).</summary>
    private static bool StartsWithHeaderField(Stream stream)
    {
        Span<byte> buffer = stackalloc byte[SniffBytes];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var line = buffer[..read];

        var nameLength = 0;
        while (nameLength < line.Length && line[nameLength] is >= 0x21 and <= 0x7E and not (byte)':')
            nameLength++;
        if (nameLength == 0)
            return false;

        var i = nameLength;
        while (i < line.Length && line[i] is (byte)' ' or (byte)'\t')
            i++;
        return i < line.Length && line[i] == (byte)':';
    }

    private static ParserOptions CreateOptions()
    {
        var options = ParserOptions.Default.Clone();
        options.MaxMimeDepth = 64;
        return options;
    }
}
