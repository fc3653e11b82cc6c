using OmePortal.Web.Reading;

namespace OmePortal.Web.Previews.Viewer;

/// <summary>Where the message page offers "Preview" beside an attachment.</summary>
public static class PreviewLinks
{
    /// <summary>
    /// By the label's kind (declared type, then name), which costs nothing per page view: the preview itself
    /// judges the bytes (PreviewTypes) and says plainly when they are not what the name claimed.
    /// </summary>
    public static bool IsOffered(AttachmentKind kind) => kind is AttachmentKind.Pdf or AttachmentKind.Word or AttachmentKind.Spreadsheet
        or AttachmentKind.Presentation or AttachmentKind.Image or AttachmentKind.Text;

    public static string Url(Guid messageId, int index) => PreviewPagesEndpoint.PreviewUrl(messageId, index);
}
