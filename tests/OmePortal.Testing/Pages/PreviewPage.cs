using AngleSharp.Dom;

namespace OmePortal.Testing.Pages;

/// <summary>One page of an attachment preview as the viewer lists it.</summary>
public sealed record PreviewPageImage(int Number, string Source, string? Loading, int Width, int Height, string? Text);

/// <summary>The attachment viewer (<c>/messages/{id}/attachments/{index}/preview</c>).</summary>
public sealed class PreviewPage(HtmlPage page) : HtmlPage(page)
{
    /// <summary>"ready" or "unavailable"; null on a refusal page.</summary>
    public string? State => Attribute("[data-preview]", "data-preview");

    /// <summary>Why there is no preview (UnsupportedType, ConverterMissing, CannotPreview); null otherwise.</summary>
    public string? UnavailableReason => Attribute("[data-unavailable-reason]", "data-unavailable-reason");

    /// <summary>The refusal page's kind (NotFound, Expired, ...), as the message page shows it.</summary>
    public string? Refusal => Attribute("[data-unavailable]", "data-unavailable");

    public string? DownloadHref => Attribute("a[data-download]", "href");

    public string? DoNotForwardNotice => Text("[data-dnf-notice]");

    public string? CappedNotice => Text("[data-capped]");

    public bool HasWatermarkLayer => Find("div.ome-watermark") is not null;

    /// <summary>A text file's text (the content of its pre), decoded by the parser.</summary>
    public string? FileText => Find(".preview-text pre")?.TextContent;

    public IReadOnlyList<PreviewPageImage> Pages =>
        [.. FindAll("figure.preview-page").Select(figure => new PreviewPageImage(
            int.Parse(figure.GetAttribute("data-page")!, System.Globalization.CultureInfo.InvariantCulture),
            figure.QuerySelector("img")!.GetAttribute("src")!,
            figure.QuerySelector("img")!.GetAttribute("loading"),
            IntAttribute(figure.QuerySelector("img")!, "width"),
            IntAttribute(figure.QuerySelector("img")!, "height"),
            figure.QuerySelector(".page-text-body")?.TextContent))];

    /// <summary>The "Preview" links of a message page, by the file name of their list item.</summary>
    public static IReadOnlyDictionary<string, string> LinksOn(HtmlPage messagePage) =>
        messagePage.FindAll(".attachment-list li")
            .Where(item => item.QuerySelector("a.attachment-preview") is not null)
            .ToDictionary(item => item.QuerySelector(".attachment-name")!.TextContent, item => item.QuerySelector("a.attachment-preview")!.GetAttribute("href")!);

    private static int IntAttribute(IElement element, string name) =>
        int.TryParse(element.GetAttribute(name), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;
}
