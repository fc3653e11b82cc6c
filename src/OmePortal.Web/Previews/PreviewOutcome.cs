namespace OmePortal.Web.Previews;

/// <summary>What preparing an attachment's preview came to: pages to show, or why there are none.</summary>
public abstract record PreviewOutcome
{
    private PreviewOutcome() { }

    /// <summary>
    /// The preview exists (stored encrypted with the message key). <paramref name="PagesRendered"/> page images
    /// of <paramref name="TotalPages"/> (fewer when the document had more than the cap). A text file has no page
    /// images (<paramref name="PagesRendered"/> is 0, <paramref name="TotalPages"/> 1): its text is page 1 of
    /// <see cref="AttachmentPreviews.ReadTextAsync"/>.
    /// </summary>
    public sealed record Ready(int PagesRendered, int TotalPages, PreviewKind Kind, bool HasText) : PreviewOutcome;

    public sealed record Unavailable(PreviewUnavailableReason Reason) : PreviewOutcome;
}

public enum PreviewKind
{
    Pdf,
    Office,
    Image,
    Text,
}

public enum PreviewUnavailableReason
{
    /// <summary>Not a type the portal previews (or no such attachment).</summary>
    UnsupportedType,

    /// <summary>A type it previews, but the converter for it is not installed on this node.</summary>
    ConverterMissing,

    /// <summary>The converter failed, timed out, ran out of memory, or the document broke a limit: "this attachment can't be previewed".</summary>
    CannotPreview,
}
