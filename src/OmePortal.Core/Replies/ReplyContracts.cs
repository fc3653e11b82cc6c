using OmePortal.Core.Mime;

namespace OmePortal.Core.Replies;

/// <summary>What the recipient asked to do with a message.</summary>
public enum ReplyMode
{
    /// <summary>To the sender (Reply-To when the original has one).</summary>
    Reply = 0,

    /// <summary>To the sender and every other To and Cc recipient, minus the replier.</summary>
    ReplyAll = 1,

    /// <summary>To addresses the recipient types; refused for Do-Not-Forward messages.</summary>
    Forward = 2,
}

/// <summary>
/// The facts of the original message a reply needs, taken from its render model (never from the
/// compose form). <see cref="SenderAddress"/> is the sender as stored at intake, used when the
/// original has no usable From header.
/// </summary>
public sealed record OriginalMessage(
    string? Subject,
    string? MessageId,
    IReadOnlyList<string> References,
    IReadOnlyList<RenderAddress> From,
    IReadOnlyList<RenderAddress> ReplyTo,
    IReadOnlyList<RenderAddress> To,
    IReadOnlyList<RenderAddress> Cc,
    DateTimeOffset? Date,
    string SenderAddress,
    string Text)
{
    /// <summary>Takes the facts from a render model; the text to quote is the text body, else the HTML body as text.</summary>
    public static OriginalMessage FromRenderModel(RenderModel model, string senderAddress)
    {
        ArgumentNullException.ThrowIfNull(model);
        var text = model.TextBody ?? (model.HtmlBody is { } html ? HtmlText.ToPlainText(html) : string.Empty);
        return new OriginalMessage(
            model.Subject, model.MessageId, model.References, model.From, model.ReplyTo, model.To, model.Cc, model.Date,
            senderAddress ?? string.Empty, text);
    }
}

/// <summary>A mailbox of a reply: a normalised, validated address and a display name without control characters.</summary>
public sealed record ReplyAddress(string? Name, string Address);

/// <summary>
/// Everything about a reply except its text and attachments: who it is from and to, its subject and
/// its threading headers. Produced by <see cref="ReplyBuilder.Plan"/> only, so every value in it has
/// been validated.
/// </summary>
public sealed record ReplyPlan(
    ReplyMode Mode,
    ReplyAddress From,
    IReadOnlyList<ReplyAddress> To,
    IReadOnlyList<ReplyAddress> Cc,
    string Subject,
    string? InReplyTo,
    IReadOnlyList<string> References)
{
    /// <summary>The envelope recipients: every To and Cc address, normalised, each once.</summary>
    public IReadOnlyList<string> Recipients => [.. To.Concat(Cc).Select(a => a.Address).Distinct(StringComparer.Ordinal)];
}

/// <summary>Why a reply cannot be planned.</summary>
public enum ReplyPlanError
{
    /// <summary>The verified sender address is not a usable address (never expected: it comes from the session).</summary>
    InvalidSender,

    /// <summary>Nobody would receive the reply (e.g. a forward without addresses).</summary>
    NoRecipients,

    /// <summary>A typed forward address is not a valid single mailbox (see <see cref="ReplyPlanResult.Invalid.Value"/>).</summary>
    InvalidAddress,

    /// <summary>More forward addresses than allowed.</summary>
    TooManyRecipients,
}

public abstract record ReplyPlanResult
{
    private ReplyPlanResult() { }

    public sealed record Planned(ReplyPlan Plan) : ReplyPlanResult;

    /// <param name="Value">For <see cref="ReplyPlanError.InvalidAddress"/>: the offending entry with control characters removed.</param>
    public sealed record Invalid(ReplyPlanError Error, string? Value = null) : ReplyPlanResult;
}

/// <summary>
/// The words around the quoted original, in the language of the page the reply was written on.
/// Formats: <see cref="Wrote"/> takes {0} = date, {1} = sender; <see cref="WroteNoDate"/> takes {0} = sender.
/// </summary>
public sealed record ReplyTexts(
    string Wrote,
    string WroteNoDate,
    string ForwardedMessage,
    string FromLabel,
    string DateLabel,
    string SubjectLabel,
    string ToLabel,
    string CcLabel,
    System.Globalization.CultureInfo Culture)
{
    public static ReplyTexts English { get; } = new(
        "On {0}, {1} wrote:", "{0} wrote:", "---------- Forwarded message ----------",
        "From", "Date", "Subject", "To", "Cc", System.Globalization.CultureInfo.GetCultureInfo("en"));
}

/// <summary>
/// One attachment of a reply. <paramref name="Content"/> is read when the message is written; when
/// <paramref name="ContentIsBase64"/> is true it already holds base64 text with CRLF line breaks
/// (see <see cref="EncodedAttachment"/>) and is copied as is.
/// </summary>
public sealed record ReplyAttachment(string FileName, string ContentType, Stream Content, bool ContentIsBase64 = false);
