using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;
using OmePortal.Core.Mime;

namespace OmePortal.Core.Tests.Mime;

internal static class MimeTestData
{
    public static readonly string[] SampleNames =
    [
        "01-dutch-policy-inline-logo-pdf.eml",
        "02-plain-latin9-card-number.eml",
        "03-forwarded-rfc822-cc.eml",
        "04-large-attachment-unicode-filename.eml",
        "05-html-only-remote-images-tracking.eml",
        "06-reply-chain-calendar.eml",
        "07-bcc-recipient.eml",
        "08-rfc2231-filename-8bit.eml",
    ];

    public static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", name));

    public static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>Parses and asserts success; the returned stream must outlive the message.</summary>
    public static (ParseOutcome.Parsed Parsed, MemoryStream Stream) ParseSample(string name, IReadOnlyList<string>? envelope = null)
    {
        var stream = new MemoryStream(Sample(name));
        var outcome = MessageParser.Parse(stream, envelope);
        var parsed = Assert.IsType<ParseOutcome.Parsed>(outcome);
        return (parsed, stream);
    }

    public static ParseOutcome.Parsed ParseText(string mime, IReadOnlyList<string>? envelope = null)
    {
        var outcome = MessageParser.Parse(Stream(mime), envelope);
        return Assert.IsType<ParseOutcome.Parsed>(outcome);
    }

    /// <summary>Decodes a byte range with MimeKit's decoder filters (independently of the code under test).</summary>
    public static byte[] DecodeRange(byte[] mime, long offset, long length, string transferEncoding)
    {
        var raw = mime.AsSpan((int)offset, (int)length).ToArray();
        var encoding = transferEncoding switch
        {
            "base64" => ContentEncoding.Base64,
            "quoted-printable" => ContentEncoding.QuotedPrintable,
            "x-uuencode" => ContentEncoding.UUEncode,
            "7bit" or "8bit" or "binary" => (ContentEncoding?)null,
            _ => throw new InvalidOperationException($"Unexpected transfer encoding '{transferEncoding}'."),
        };
        if (encoding is null)
            return raw;

        using var output = new MemoryStream();
        using (var filtered = new FilteredStream(output))
        {
            filtered.Add(DecoderFilter.Create(encoding.Value));
            filtered.Write(raw, 0, raw.Length);
            filtered.Flush();
        }

        return output.ToArray();
    }

    /// <summary>The content MimeKit itself gives for an entity: decoded part content, or the attached message.</summary>
    public static byte[] MimeKitContent(MimeEntity entity)
    {
        using var output = new MemoryStream();
        switch (entity)
        {
            case MimePart part:
                part.Content!.DecodeTo(output);
                break;
            case MessagePart attached:
                var options = FormatOptions.Default.Clone();
                options.NewLineFormat = NewLineFormat.Dos;
                attached.Message!.WriteTo(options, output);
                break;
            default:
                throw new InvalidOperationException(entity.GetType().Name);
        }

        return output.ToArray();
    }

    /// <summary>All leaf entities (attached messages not entered), in document order.</summary>
    public static List<MimeEntity> Leaves(MimeMessage message)
    {
        var leaves = new List<MimeEntity>();
        Walk(message.Body!);
        return leaves;

        void Walk(MimeEntity entity)
        {
            if (entity is Multipart multipart)
            {
                foreach (var child in multipart)
                    Walk(child);
            }
            else
            {
                leaves.Add(entity);
            }
        }
    }

    // ----- HTML inspection (AngleSharp, i.e. the parser HtmlSanitizer itself uses) -----

    private static readonly HtmlParser Parser = new();

    public static IHtmlDocument ParseHtml(string fragment) => Parser.ParseDocument("<!doctype html><html><body>" + fragment);

    public static IEnumerable<IElement> AllElements(IHtmlDocument document) => document.Body!.QuerySelectorAll("*");

    private static readonly HashSet<string> ForbiddenTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "iframe", "object", "embed", "frame", "frameset", "base", "meta", "link", "form", "input", "button",
        "select", "textarea", "option", "optgroup", "svg", "math", "template", "noscript", "xmp", "title", "applet",
        "audio", "video", "source", "track", "canvas", "portal", "plaintext", "noembed", "noframes", "isindex", "keygen",
        "foreignobject", "mglyph", "malignmark", "set", "animate", "use", "image",
    };

    private static readonly HashSet<string> UrlAttributes = new(StringComparer.OrdinalIgnoreCase)
    {
        "href", "src", "background", "action", "formaction", "poster", "data", "xlink:href", "lowsrc", "dynsrc", "longdesc", "cite",
        "ping", "srcset", "srcdoc", "codebase", "archive", "manifest", "icon",
    };

    private static readonly string[] ForbiddenCss =
    [
        "@import", "expression", "image-set", "var(", "behavior", "-moz-binding", "binding", "javascript", "vbscript",
        "@font-face", "env(", "attr(", "cross-fade",
    ];

    /// <summary>
    /// Parses sanitiser output like a browser would and fails if any script vector, form,
    /// foreign content, forbidden URL or forbidden CSS remains.
    /// </summary>
    public static void AssertSafe(string html)
    {
        using var document = ParseHtml(html);
        foreach (var element in AllElements(document))
        {
            Assert.False(ForbiddenTags.Contains(element.LocalName), $"Forbidden element <{element.LocalName}> in: {html}");
            Assert.Equal(NamespaceNames.HtmlUri, element.NamespaceUri);
            Assert.Null(element.ShadowRoot);

            foreach (var attribute in element.Attributes)
            {
                var name = attribute.Name;
                Assert.False(name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"Event handler {name} in: {html}");
                var squeezed = new string(attribute.Value.Where(c => c > ' ').ToArray()).ToLowerInvariant();
                Assert.DoesNotContain("javascript:", squeezed);
                Assert.DoesNotContain("vbscript:", squeezed);

                if (UrlAttributes.Contains(name))
                    AssertAllowedUrl(element, name, attribute.Value, html);

                if (name.Equals("style", StringComparison.OrdinalIgnoreCase))
                    AssertSafeCss(attribute.Value, html);
            }

            if (element.LocalName == "style")
                AssertSafeCss(element.TextContent, html);
        }
    }

    private static void AssertAllowedUrl(IElement element, string attribute, string value, string html)
    {
        Assert.True(attribute is "href" or "src" or "background", $"URL attribute {attribute} survived in: {html}");
        var url = value.Trim().ToLowerInvariant();
        if (attribute == "src")
        {
            Assert.Equal("img", element.LocalName);
            Assert.True(
                url.StartsWith("cid:", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(url, "^data:image/(png|jpeg|gif|webp)[;,]"),
                $"img src '{value}' is neither cid: nor a raster data URL in: {html}");
        }
        else if (attribute == "background")
        {
            Assert.StartsWith("cid:", url);
        }
        else
        {
            Assert.Equal("a", element.LocalName);
            Assert.True(
                url.StartsWith("http://", StringComparison.Ordinal) || url.StartsWith("https://", StringComparison.Ordinal)
                || url.StartsWith("mailto:", StringComparison.Ordinal) || url.StartsWith('#'),
                $"href '{value}' has a forbidden scheme in: {html}");
        }
    }

    private static void AssertSafeCss(string css, string html)
    {
        var lower = css.ToLowerInvariant();
        foreach (var forbidden in ForbiddenCss)
            Assert.False(lower.Contains(forbidden, StringComparison.Ordinal), $"CSS '{forbidden}' survived in: {html}");

        Assert.False(
            System.Text.RegularExpressions.Regex.IsMatch(lower, @"(^|[;{\s])position\s*:"),
            $"CSS position survived in: {html}");

        var index = 0;
        while ((index = lower.IndexOf("url(", index, StringComparison.Ordinal)) >= 0)
        {
            var rest = lower[(index + 4)..].TrimStart(' ', '"', '\'');
            Assert.True(rest.StartsWith("cid:", StringComparison.Ordinal), $"CSS url() other than cid: survived in: {html}");
            index += 4;
        }
    }
}
