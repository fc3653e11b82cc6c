namespace OmePortal.Core.Mime;

/// <summary>
/// What the portal needs to show a message, built once at intake (see docs/ARCHITECTURE.md §5 "Sanitise once,
/// at intake") and stored encrypted beside the original MIME. JSON-serialisable through
/// <see cref="RenderModelSerializer"/>.
/// </summary>
public sealed class RenderModel
{
    private IReadOnlyList<RenderAddress> _from = [];
    private IReadOnlyList<RenderAddress> _to = [];
    private IReadOnlyList<RenderAddress> _cc = [];
    private IReadOnlyList<RenderAddress> _replyTo = [];
    private IReadOnlyList<string> _references = [];
    private IReadOnlyList<AttachmentEntry> _attachments = [];
    private string? _htmlBody;
    private string? _textBody;

    /// <summary><see cref="EmailHtmlSanitizer.PolicyVersion"/> of the sanitiser that produced <see cref="HtmlBody"/>.</summary>
    public int PolicyVersion { get; init; }

    /// <summary>The decoded subject, or null when the message has no Subject header.</summary>
    public string? Subject { get; init; }

    public IReadOnlyList<RenderAddress> From { get => _from; init => _from = value ?? []; }

    public IReadOnlyList<RenderAddress> To { get => _to; init => _to = value ?? []; }

    public IReadOnlyList<RenderAddress> Cc { get => _cc; init => _cc = value ?? []; }

    /// <summary>Reply-To addresses (used when building replies); empty when absent.</summary>
    public IReadOnlyList<RenderAddress> ReplyTo { get => _replyTo; init => _replyTo = value ?? []; }

    public DateTimeOffset? Date { get; init; }

    /// <summary>Message-ID without angle brackets.</summary>
    public string? MessageId { get; init; }

    /// <summary>In-Reply-To message id without angle brackets.</summary>
    public string? InReplyTo { get; init; }

    /// <summary>References message ids without angle brackets, oldest first.</summary>
    public IReadOnlyList<string> References { get => _references; init => _references = value ?? []; }

    /// <summary>
    /// Sanitised HTML: every text/html body part sanitised on its own and wrapped in its own
    /// <c>&lt;div class="ome-part"&gt;</c>. Null when the message has no HTML body part.
    /// </summary>
    public string? HtmlBody { get => _htmlBody; init => _htmlBody = value; }

    /// <summary>True when an HTML part was longer than the sanitiser accepts and was cut short.</summary>
    public bool HtmlBodyTruncated { get; init; }

    /// <summary>The first text/plain body part (not an attachment), decoded to text; null if none.</summary>
    public string? TextBody { get => _textBody; init => _textBody = value; }

    /// <summary>Remote images (and background images) neutralised in <see cref="HtmlBody"/>.</summary>
    public int BlockedRemoteImages { get; init; }

    public IReadOnlyList<AttachmentEntry> Attachments { get => _attachments; init => _attachments = value ?? []; }

    /// <summary>
    /// True for a model read with <see cref="RenderModelSerializer.DeserializeSummary"/>: <see cref="HtmlBody"/>
    /// and <see cref="TextBody"/> then only say whether there is a body (null, empty, or
    /// <see cref="OmittedBody"/>), not what it is.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool BodiesOmitted { get; internal set; }

    /// <summary>The serializer stores the bodies apart from the rest of the model and puts them back here.</summary>
    internal void AttachBodies(string? html, string? text)
    {
        _htmlBody = html;
        _textBody = text;
    }

    /// <summary>What a summary holds in place of a body that is there.</summary>
    public const string OmittedBody = "\u2026";
}

/// <summary>A display name (null when there is none) and address as written in the header.</summary>
public sealed record RenderAddress(string? Name, string Address);

/// <summary>
/// One attachment (or inline image) of a message.
/// </summary>
/// <param name="Index">Position in <see cref="RenderModel.Attachments"/> (0-based).</param>
/// <param name="FileName">Decoded file name (RFC 2231 / RFC 2047), stripped of directories and
/// control characters; a default such as <c>attachment-2.pdf</c> when the part has none.</param>
/// <param name="ContentType">Lower-case media type, e.g. <c>application/pdf</c>.</param>
/// <param name="Size">Size in bytes after transfer decoding.</param>
/// <param name="ContentId">Content-ID without angle brackets, or null.</param>
/// <param name="IsInline">True when the sanitised HTML body shows this part through a <c>cid:</c> reference.</param>
/// <param name="ContentOffset">Offset of the part's encoded content (first byte after the blank line
/// ending its headers) within the original MIME bytes; -1 when unknown.</param>
/// <param name="ContentLength">Length of the encoded content in the original MIME bytes; 0 when unknown.</param>
/// <param name="TransferEncoding">The content transfer encoding of that byte range: <c>7bit</c>, <c>8bit</c>,
/// <c>binary</c>, <c>base64</c>, <c>quoted-printable</c> or <c>x-uuencode</c>. Decode with
/// <see cref="AttachmentContent.OpenDecoded(Stream, AttachmentEntry, bool)"/>.</param>
/// <param name="MarkedAsAttachment">True when the part says <c>Content-Disposition: attachment</c>: the sender
/// meant it as a file, even where the HTML also shows it (false in models built before policy version 3).</param>
public sealed record AttachmentEntry(
    int Index,
    string FileName,
    string ContentType,
    long Size,
    string? ContentId,
    bool IsInline,
    long ContentOffset,
    long ContentLength,
    string TransferEncoding,
    bool MarkedAsAttachment = false);
