using Microsoft.AspNetCore.Html;
using OmePortal.Core.Mime;

namespace OmePortal.Web.Reading;

/// <summary>What an attachment is, in the words a reader uses ("PDF document"), for its label and icon.</summary>
public enum AttachmentKind
{
    File,
    Pdf,
    Word,
    Spreadsheet,
    Presentation,
    Image,
    Text,
    Archive,
    Audio,
    Video,
    Calendar,
    Email,
}

public static class AttachmentKinds
{
    private static readonly Dictionary<string, AttachmentKind> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".pdf"] = AttachmentKind.Pdf,
        [".doc"] = AttachmentKind.Word, [".docx"] = AttachmentKind.Word, [".docm"] = AttachmentKind.Word, [".odt"] = AttachmentKind.Word, [".rtf"] = AttachmentKind.Word,
        [".xls"] = AttachmentKind.Spreadsheet, [".xlsx"] = AttachmentKind.Spreadsheet, [".xlsm"] = AttachmentKind.Spreadsheet, [".ods"] = AttachmentKind.Spreadsheet, [".csv"] = AttachmentKind.Spreadsheet,
        [".ppt"] = AttachmentKind.Presentation, [".pptx"] = AttachmentKind.Presentation, [".odp"] = AttachmentKind.Presentation,
        [".png"] = AttachmentKind.Image, [".jpg"] = AttachmentKind.Image, [".jpeg"] = AttachmentKind.Image, [".gif"] = AttachmentKind.Image, [".webp"] = AttachmentKind.Image,
        [".heic"] = AttachmentKind.Image, [".tif"] = AttachmentKind.Image, [".tiff"] = AttachmentKind.Image, [".bmp"] = AttachmentKind.Image, [".svg"] = AttachmentKind.Image,
        [".txt"] = AttachmentKind.Text, [".md"] = AttachmentKind.Text, [".log"] = AttachmentKind.Text,
        [".zip"] = AttachmentKind.Archive, [".7z"] = AttachmentKind.Archive, [".rar"] = AttachmentKind.Archive, [".gz"] = AttachmentKind.Archive, [".tar"] = AttachmentKind.Archive,
        [".mp3"] = AttachmentKind.Audio, [".wav"] = AttachmentKind.Audio, [".m4a"] = AttachmentKind.Audio, [".ogg"] = AttachmentKind.Audio,
        [".mp4"] = AttachmentKind.Video, [".mov"] = AttachmentKind.Video, [".webm"] = AttachmentKind.Video, [".avi"] = AttachmentKind.Video,
        [".ics"] = AttachmentKind.Calendar,
        [".eml"] = AttachmentKind.Email, [".msg"] = AttachmentKind.Email,
    };

    /// <summary>
    /// The kind by declared type, then by the name's extension: mail programs often declare
    /// application/octet-stream, and the name is then the better hint. Only a label: what a download is
    /// served as is decided elsewhere (<see cref="ReadingHeaders.DownloadContentType"/>).
    /// </summary>
    public static AttachmentKind Of(AttachmentEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var type = entry.ContentType.ToLowerInvariant();
        var byType = type switch
        {
            "application/pdf" => AttachmentKind.Pdf,
            "application/msword" or "application/rtf" or "text/rtf" or "application/vnd.oasis.opendocument.text" => AttachmentKind.Word,
            "application/vnd.ms-excel" or "text/csv" or "application/vnd.oasis.opendocument.spreadsheet" => AttachmentKind.Spreadsheet,
            "application/vnd.ms-powerpoint" or "application/vnd.oasis.opendocument.presentation" => AttachmentKind.Presentation,
            "application/zip" or "application/x-zip-compressed" or "application/gzip" or "application/x-7z-compressed" or "application/vnd.rar" => AttachmentKind.Archive,
            "text/calendar" => AttachmentKind.Calendar,
            "message/rfc822" or "application/vnd.ms-outlook" => AttachmentKind.Email,
            _ when type.StartsWith("application/vnd.openxmlformats-officedocument.wordprocessingml", StringComparison.Ordinal) => AttachmentKind.Word,
            _ when type.StartsWith("application/vnd.openxmlformats-officedocument.spreadsheetml", StringComparison.Ordinal) => AttachmentKind.Spreadsheet,
            _ when type.StartsWith("application/vnd.openxmlformats-officedocument.presentationml", StringComparison.Ordinal) => AttachmentKind.Presentation,
            _ when type.StartsWith("image/", StringComparison.Ordinal) => AttachmentKind.Image,
            _ when type.StartsWith("audio/", StringComparison.Ordinal) => AttachmentKind.Audio,
            _ when type.StartsWith("video/", StringComparison.Ordinal) => AttachmentKind.Video,
            _ when type.StartsWith("text/", StringComparison.Ordinal) && type != "text/html" => AttachmentKind.Text,
            _ => AttachmentKind.File,
        };
        return byType != AttachmentKind.File ? byType
            : ByExtension.TryGetValue(Path.GetExtension(entry.FileName), out var byName) ? byName
            : AttachmentKind.File;
    }

    /// <summary>The resource key of the kind's name (ReadingResource).</summary>
    public static string NameKey(AttachmentKind kind) => "Kind" + kind;

    /// <summary>The few letters on the icon; the same in every language (they are the files' own abbreviations).</summary>
    public static string IconLabel(AttachmentKind kind) => kind switch
    {
        AttachmentKind.Pdf => "PDF",
        AttachmentKind.Word => "DOC",
        AttachmentKind.Spreadsheet => "XLS",
        AttachmentKind.Presentation => "PPT",
        AttachmentKind.Image => "IMG",
        AttachmentKind.Text => "TXT",
        AttachmentKind.Archive => "ZIP",
        AttachmentKind.Audio => "AUD",
        AttachmentKind.Video => "VID",
        AttachmentKind.Calendar => "ICS",
        AttachmentKind.Email => "EML",
        _ => string.Empty,
    };

    /// <summary>
    /// The kind's icon, drawn in the page (no fetch): a sheet with a folded corner and the kind's usual
    /// abbreviation; the name beside it says the kind in words. Made once per kind: the message page draws one
    /// per attachment, and a partial view would cost a view lookup each time (docs/ARCHITECTURE.md §12).
    /// </summary>
    public static IHtmlContent Icon(AttachmentKind kind) => Icons[kind];

    private static readonly Dictionary<AttachmentKind, HtmlString> Icons =
        Enum.GetValues<AttachmentKind>().ToDictionary(kind => kind, kind => new HtmlString(IconMarkup(kind)));

    // The labels are fixed ASCII abbreviations (IconLabel), so nothing here needs encoding.
    private static string IconMarkup(AttachmentKind kind)
    {
        var label = IconLabel(kind);
        var band = label.Length == 0
            ? string.Empty
            : $"<rect class=\"file-icon-band\" x=\"1\" y=\"22\" width=\"30\" height=\"11\" /><text x=\"16\" y=\"30.5\" text-anchor=\"middle\">{label}</text>";
        return $"<svg class=\"file-icon file-icon-{kind.ToString().ToLowerInvariant()}\" viewBox=\"0 0 32 40\" width=\"32\" height=\"40\" aria-hidden=\"true\" focusable=\"false\">"
            + "<path class=\"file-icon-sheet\" d=\"M3 1h18l8 8v28a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V3a2 2 0 0 1 2-2z\" /><path class=\"file-icon-fold\" d=\"M21 1v8h8\" />"
            + band + "</svg>";
    }
}
