using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;

namespace OmePortal.Web.Reading;

/// <summary>
/// The small HTML document shown in the sandboxed body frame: the render model's sanitised HTML
/// (or its text, as text), with <c>cid:</c> references pointing at the authorised inline-image URL
/// and, only when the reader asked, the remote images that the sanitiser set aside put back as URLs of
/// the portal's image proxy (never the sender's URL itself: the browser fetches nothing from elsewhere).
/// </summary>
/// <remarks>
/// The HTML was sanitised at intake; this only rewrites URL attributes, through AngleSharp's DOM
/// (never by pattern matching on markup). A URL is only ever handed to the proxy when it is absolute http(s).
/// </remarks>
public static class BodyDocument
{
    /// <summary>Image types served from a message (never SVG or anything else that can carry active content).</summary>
    private static readonly HashSet<string> InlineImageTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/webp", "image/bmp", "image/avif", "image/x-icon", "image/vnd.microsoft.icon",
    };


    private const string Style =
        "html{color-scheme:light}" +
        "body{margin:0;padding:12px;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;line-height:1.45;color:#201f1e;overflow-wrap:anywhere}" +
        "img{max-width:100%;height:auto}" +
        "pre.ome-text{white-space:pre-wrap;word-break:break-word;font-family:inherit;font-size:1rem;margin:0}";

    private const string NoPrintStyle = "@media print{body{display:none}}";

    /// <summary>
    /// The portal's only script in the frame: it reports the document's height to the message page, so
    /// the frame can be as tall as the mail (docs/ARCHITECTURE.md §8). The frame's policy allows exactly
    /// this text by its hash (<see cref="ReadingHeaders.BodyFramePolicy"/>), so nothing from the mail runs
    /// beside it. It sits in the head, before the mail, so no markup of the mail can wrap or reorder it.
    /// The height is the only thing it sends; the page accepts it only from this frame and clamps it.
    /// </summary>
    /// <remarks>
    /// Below the frame's own height the document's height (the root's box) is taken, so a short mail
    /// shrinks the frame; above it, the scroll height, which also counts content that overflows a box
    /// of fixed height. A sideways scroll bar (wide mail on a phone) is added, so it never covers text.
    /// The page may have missed a report sent before its own script ran; it asks again by a message,
    /// and any message from the parent only triggers a fresh report (its content is never read).
    /// The target origin is "*" because an opaque origin cannot name its parent's; what goes out is a number.
    /// </remarks>
    public const string FrameScript =
        "(function(){var last=0;function report(){var d=document.documentElement;" +
        "var h=d.scrollHeight>d.clientHeight+1?d.scrollHeight:d.getBoundingClientRect().height;" +
        "h=Math.ceil(h+Math.max(0,innerHeight-d.clientHeight));" +
        "if(h!==last){last=h;parent.postMessage({omeFrameHeight:h},\"*\");}}" +
        "addEventListener(\"message\",function(e){if(e.source===parent){last=0;report();}});" +
        "document.addEventListener(\"DOMContentLoaded\",function(){report();" +
        "if(window.ResizeObserver){new ResizeObserver(report).observe(document.documentElement);}});" +
        "addEventListener(\"load\",report);addEventListener(\"resize\",report);})();";

    /// <summary>True when <paramref name="entry"/> is shown in the body, and so may be served through the inline-image URL.</summary>
    /// <remarks>
    /// Only a raster image that the sanitised HTML references by <c>cid:</c> (<see cref="AttachmentEntry.IsInline"/>).
    /// Having a Content-ID is not enough: many mail programs give every part one, and the inline URL answers
    /// without a download disposition. Under Do-Not-Forward, also never a part marked
    /// <c>Content-Disposition: attachment</c>, even when the HTML points at it: the sender declared it a file,
    /// files are what Do-Not-Forward keeps from leaving the portal, and the inline URL would hand it out anyway
    /// (such a part is listed with the attachments instead, and the <c>cid:</c> is dropped from the body).
    /// Where attachments may be downloaded (Encrypt-only) the same part is shown inline, as mail programs show
    /// it: senders commonly mark a referenced logo as an attachment, and the inline URL gives away nothing the
    /// download link does not.
    /// </remarks>
    public static bool IsInlineImage(AttachmentEntry entry, ProtectionLevel protection) =>
        entry.IsInline
        && entry.ContentId is not null
        && InlineImageTypes.Contains(entry.ContentType)
        && !(entry.MarkedAsAttachment && protection == ProtectionLevel.DoNotForward);

    /// <summary>
    /// The document in three parts: the body between a small head and tail. The body is most of it
    /// and often large; written part by part (<see cref="Parts.WriteAsync"/>) it is never copied into
    /// one more large string or array. The body is a string, or UTF-8 as it came out of the vault
    /// (<see cref="Utf8Body"/>) when nothing in it needed rewriting.
    /// </summary>
    public readonly record struct Parts(string Head, string Body, string Tail, ReadOnlyMemory<byte> Utf8Body = default)
    {
        public override string ToString() =>
            string.Concat(Head, Utf8Body.IsEmpty ? Body : Encoding.UTF8.GetString(Utf8Body.Span), Tail);

        /// <summary>Writes the document as UTF-8, part by part, straight into the response.</summary>
        public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
        {
            response.ContentType = "text/html; charset=utf-8";
            await response.WriteAsync(Head, cancellationToken);
            if (Utf8Body.IsEmpty)
            {
                await response.WriteAsync(Body, cancellationToken);
            }
            else
            {
                await response.Body.WriteAsync(Utf8Body, cancellationToken);
            }

            await response.WriteAsync(Tail, cancellationToken);
        }
    }

    /// <param name="model">The decrypted render model: a full one, or a summary with <paramref name="htmlUtf8"/>.</param>
    /// <param name="inlineUrl">The URL that serves attachment <c>index</c> as an inline image.</param>
    /// <param name="remoteImageUrl">Null to keep remote images blocked; else the proxy URL of each absolute http(s) image URL the sanitiser set aside (null leaves that one blocked).</param>
    /// <param name="language">The lang attribute of the document (the reader's language).</param>
    /// <param name="protection">Under Do-Not-Forward, printing the frame on its own yields an empty page, and images marked as attachments are not shown (<see cref="IsInlineImage"/>).</param>
    /// <param name="htmlUtf8">The sanitised HTML body as UTF-8 (see <see cref="RenderModelSerializer.CopyHtmlBody"/>), for a summary.</param>
    public static Parts Compose(RenderModel model, Func<int, string> inlineUrl, Func<Uri, string?>? remoteImageUrl, string language, ProtectionLevel protection = ProtectionLevel.EncryptOnly, ReadOnlyMemory<byte>? htmlUtf8 = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inlineUrl);
        if (model.BodiesOmitted && htmlUtf8 is null)
        {
            throw new ArgumentException("A render model summary has no body to show.", nameof(model));
        }

        var head = new StringBuilder(1024);
        head.Append("<!DOCTYPE html><html lang=\"").Append(Escape(language)).Append("\"><head>")
            .Append("<meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Escape(model.Subject ?? string.Empty)).Append("</title>")
            .Append("<style>").Append(Style).Append(protection == ProtectionLevel.DoNotForward ? NoPrintStyle : string.Empty).Append("</style>")
            .Append("<script>").Append(FrameScript).Append("</script></head><body>");
        const string Tail = "</body></html>";

        if (htmlUtf8 is { } utf8)
        {
            // Sent as it is unless a URL in it must be rewritten; only then does it become a string.
            return NeedsRewrite(utf8.Span, remoteImageUrl is not null)
                ? new Parts(head.ToString(), Rewrite(Encoding.UTF8.GetString(utf8.Span), model.Attachments, inlineUrl, remoteImageUrl, protection), Tail)
                : new Parts(head.ToString(), string.Empty, Tail, utf8.IsEmpty ? default : utf8);
        }

        var body = model.HtmlBody is { } html
            ? Rewrite(html, model.Attachments, inlineUrl, remoteImageUrl, protection)
            : model.TextBody is { } text
                ? "<pre class=\"ome-text\">" + Escape(text) + "</pre>"
                : string.Empty;
        return new Parts(head.ToString(), body, Tail);
    }

    /// <summary>The byte-level twin of the check at the start of <see cref="Rewrite"/>.</summary>
    private static bool NeedsRewrite(ReadOnlySpan<byte> html, bool showImages) =>
        ContainsIgnoringAsciiCase(html, "cid:"u8)
        || (showImages && html.IndexOf("data-ome-remote-"u8) >= 0);

    private static bool ContainsIgnoringAsciiCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerCaseNeedle)
    {
        var first = lowerCaseNeedle[0];
        var upper = (byte)char.ToUpperInvariant((char)first);
        for (var at = text.IndexOfAny(first, upper); at >= 0; at = text.IndexOfAny(first, upper))
        {
            if (text.Length - at >= lowerCaseNeedle.Length && System.Text.Ascii.EqualsIgnoreCase(text.Slice(at, lowerCaseNeedle.Length), lowerCaseNeedle))
            {
                return true;
            }

            text = text[(at + 1)..];
        }

        return false;
    }

    /// <summary>The whole document as one string (see <see cref="Compose"/>).</summary>
    public static string Build(RenderModel model, Func<int, string> inlineUrl, Func<Uri, string?>? remoteImageUrl, string language, ProtectionLevel protection = ProtectionLevel.EncryptOnly) =>
        Compose(model, inlineUrl, remoteImageUrl, language, protection).ToString();

    /// <summary>Text as HTML text or attribute value: the five markup characters escaped, line breaks and everything else kept.</summary>
    private static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                '"' => builder.Append("&quot;"),
                '\'' => builder.Append("&#39;"),
                '\0' => builder.Append('\uFFFD'),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>Rewrites the URL attributes of sanitised HTML; returns it unchanged when there is nothing to rewrite.</summary>
    public static string Rewrite(string html, IReadOnlyList<AttachmentEntry> attachments, Func<int, string> inlineUrl, Func<Uri, string?>? remoteImageUrl, ProtectionLevel protection = ProtectionLevel.EncryptOnly)
    {
        var hasContentIds = html.Contains("cid:", StringComparison.OrdinalIgnoreCase);
        var hasRemote = remoteImageUrl is not null && html.Contains("data-ome-remote-", StringComparison.Ordinal);
        if (!hasContentIds && !hasRemote)
        {
            return html;
        }

        var images = new Dictionary<string, int>(StringComparer.Ordinal);
        var imagesIgnoringCase = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in attachments.Where(a => IsInlineImage(a, protection)))
        {
            images.TryAdd(entry.ContentId!, entry.Index);
            imagesIgnoringCase.TryAdd(entry.ContentId!, entry.Index);
        }

        var parser = new HtmlParser();
        using var document = parser.ParseDocument("<!doctype html><html><body>" + html);
        var root = document.Body!;
        foreach (var element in root.QuerySelectorAll("[src], [background], [" + EmailHtmlSanitizer.RemoteSrcAttribute + "], [" + EmailHtmlSanitizer.RemoteBackgroundAttribute + "]").ToList())
        {
            RewriteContentId(element, "src", images, imagesIgnoringCase, inlineUrl);
            RewriteContentId(element, "background", images, imagesIgnoringCase, inlineUrl);
            if (remoteImageUrl is not null)
            {
                Restore(element, EmailHtmlSanitizer.RemoteSrcAttribute, element.LocalName == "img" ? "src" : null, remoteImageUrl);
                Restore(element, EmailHtmlSanitizer.RemoteBackgroundAttribute, "background", remoteImageUrl);
            }
        }

        return root.InnerHtml;
    }

    private static void RewriteContentId(IElement element, string attribute, Dictionary<string, int> images, Dictionary<string, int> imagesIgnoringCase, Func<int, string> inlineUrl)
    {
        var value = element.GetAttribute(attribute)?.Trim();
        if (value is null || !value.StartsWith("cid:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        string id;
        try
        {
            id = Uri.UnescapeDataString(value[4..]).Trim().Trim('<', '>');
        }
        catch (UriFormatException)
        {
            id = string.Empty;
        }

        if (images.TryGetValue(id, out var index) || imagesIgnoringCase.TryGetValue(id, out index))
        {
            element.SetAttribute(attribute, inlineUrl(index));
        }
        else
        {
            // A reference to nothing (or to a part that is not a plain image): never leave a cid: for the browser to guess at.
            element.RemoveAttribute(attribute);
        }
    }

    private static void Restore(IElement element, string from, string? to, Func<Uri, string?> remoteImageUrl)
    {
        var value = element.GetAttribute(from);
        if (value is null || to is null)
        {
            return;
        }

        if (Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && remoteImageUrl(uri) is { } proxied)
        {
            element.SetAttribute(to, proxied);
            element.RemoveAttribute(from);
        }
    }
}
