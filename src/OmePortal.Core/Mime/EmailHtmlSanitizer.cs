using System.Text.RegularExpressions;
using AngleSharp;
using AngleSharp.Css.Dom;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using Ganss.Xss;

namespace OmePortal.Core.Mime;

/// <summary>The result of sanitising one HTML part.</summary>
/// <param name="Html">Safe HTML body fragment.</param>
/// <param name="BlockedRemoteImages">Remote images and background images moved out of the way.</param>
/// <param name="ContentIds">Content ids referenced through <c>cid:</c> URLs that survived (unescaped, no brackets).</param>
/// <param name="Truncated">The input exceeded <see cref="EmailHtmlSanitizer.MaxInputChars"/> or
/// <see cref="EmailHtmlSanitizer.MaxElements"/> and only its beginning was kept.</param>
public sealed record SanitizedHtml(string Html, int BlockedRemoteImages, IReadOnlySet<string> ContentIds, bool Truncated);

/// <summary>
/// The email allow-list on top of HtmlSanitizer (see STACK.md: its defaults are not email-safe).
/// One configured instance is shared: HtmlSanitizer's Sanitize/SanitizeDom are thread-safe as long
/// as the configuration is not changed afterwards, and all per-call state here is local.
/// </summary>
/// <remarks>
/// Policy (version <see cref="PolicyVersion"/>):
/// <list type="bullet">
/// <item>Formatting and table tags plus <c>&lt;style&gt;</c>; no script, forms, frames, embedded
/// objects, base/meta/link, template, svg/math (removed with their content). Harmless containers
/// such as <c>&lt;form&gt;</c>, <c>&lt;button&gt;</c>, <c>&lt;label&gt;</c> and unknown tags
/// (<c>&lt;o:p&gt;</c>) are unwrapped so their text is kept.</item>
/// <item>URLs: http, https, mailto and cid only, absolute (relative and protocol-relative URLs are
/// dropped); <c>data:image/(png|jpeg|gif|webp)</c> only in <c>img src</c>; <c>#fragment</c> links.</item>
/// <item>Links get <c>rel="noopener noreferrer" target="_blank"</c>.</item>
/// <item>Remote images: <c>img src</c> moves to <c>data-ome-remote-src</c>, a <c>background</c>
/// attribute to <c>data-ome-remote-background</c>; both are counted. <c>cid:</c> stays.</item>
/// <item>CSS: no <c>position</c>, <c>content</c>, <c>cursor</c>, <c>filter</c>, masks or border
/// images; a declaration is dropped if its value has <c>url()</c> other than <c>cid:</c>,
/// <c>image-set</c>, <c>image()</c>, <c>cross-fade</c>, <c>var()</c>, <c>env()</c>, <c>attr()</c>,
/// <c>expression</c>, <c>behavior</c>, <c>-moz-binding</c> or a script scheme. At-rules other
/// than <c>@media</c> (so <c>@import</c>, <c>@font-face</c>) are dropped. Since version 2 every
/// &lt;style&gt; sheet is checked once more on its serialised text (<see cref="StyleSheetSecondOpinion"/>).</item>
/// <item>Nesting deeper than <see cref="MaxNestingDepth"/> is flattened to text; inputs over
/// <see cref="MaxInputChars"/> characters or <see cref="MaxElements"/> start tags are cut short.</item>
/// <item>The attributes of the message's own &lt;body&gt; are kept on a wrapper &lt;div&gt;.</item>
/// </list>
/// </remarks>
public sealed class EmailHtmlSanitizer
{
    /// <summary>
    /// Bump whenever the policy changes: stored render models with an older version are re-rendered. It versions
    /// the whole render model (<see cref="RenderModelBuilder"/>), not only this class: 3 added
    /// <see cref="AttachmentEntry.MarkedAsAttachment"/>, which Do-Not-Forward reads, so older models are rebuilt to carry it.
    /// </summary>
    public const int PolicyVersion = 3;

    /// <summary>Characters of one HTML part that are sanitised; the rest is cut off.</summary>
    public const int MaxInputChars = 4 * 1024 * 1024;

    /// <summary>Start tags of one HTML part that are sanitised; parsing cost grows with hostile nesting.</summary>
    public const int MaxElements = 25_000;

    /// <summary>Element depth below which the output is flattened to text (browsers cap the DOM at 512).</summary>
    public const int MaxNestingDepth = 200;

    public const string RemoteSrcAttribute = "data-ome-remote-src";
    public const string RemoteBackgroundAttribute = "data-ome-remote-background";

    private const string DocumentPrefix = "<!doctype html><html><body>";

    private static readonly HashSet<string> UnwrappedTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "form", "fieldset", "legend", "label", "button", "nobr", "blink", "marquee", "dir", "menu",
    };

    private static readonly Regex CssContentIdUrl = new(
        @"url\(\s*['""]?\s*cid:([^'""\s)]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private readonly PolicySanitizer _sanitizer = new();

    /// <summary>A shared instance (the sanitiser is stateless between calls).</summary>
    public static EmailHtmlSanitizer Default { get; } = new();

    /// <summary>Sanitises one HTML part (a document or a fragment); returns a body fragment.</summary>
    public string Sanitize(string html, out int blockedRemoteImages)
    {
        var result = SanitizeDetailed(html);
        blockedRemoteImages = result.BlockedRemoteImages;
        return result.Html;
    }

    /// <summary>Sanitises one HTML part and reports what was blocked and which content ids it shows.</summary>
    public SanitizedHtml SanitizeDetailed(string html)
    {
        ArgumentNullException.ThrowIfNull(html);

        var truncated = Limit(ref html);
        var parser = _sanitizer.HtmlParserFactory();
        using var document = parser.ParseDocument(DocumentPrefix + html);
        var body = document.Body;
        if (body is null)
            return new SanitizedHtml(string.Empty, 0, new HashSet<string>(), truncated);

        KeepBodyAttributes(document, body);
        UnwrapHarmlessContainers(body);
        _sanitizer.SanitizeDom(document, body);

        var state = new PostProcessState();
        PostProcess(body, state);

        var output = body.ChildNodes.ToHtml(_sanitizer.OutputFormatter);
        return new SanitizedHtml(output, state.Blocked, state.ContentIds, truncated);
    }

    private static bool Limit(ref string html)
    {
        var truncated = false;
        if (html.Length > MaxInputChars)
        {
            html = html[..MaxInputChars];
            truncated = true;
        }

        var tags = 0;
        for (var i = html.IndexOf('<'); i >= 0 && i < html.Length - 1; i = html.IndexOf('<', i + 1))
        {
            if (char.IsAsciiLetter(html[i + 1]) && ++tags > MaxElements)
            {
                html = html[..i];
                return true;
            }
        }

        return truncated;
    }

    /// <summary>
    /// The parser merges the attributes of the message's own &lt;body&gt; (background colour,
    /// font) into the body element, whose children are all that is returned. Move them onto a
    /// wrapper &lt;div&gt; so they are sanitised like any other element and not lost.
    /// </summary>
    private static void KeepBodyAttributes(IDocument document, IElement body)
    {
        if (body.Attributes.Length == 0)
            return;

        var wrapper = document.CreateElement("div");
        foreach (var attribute in body.Attributes.ToList())
        {
            wrapper.SetAttribute(attribute.Name, attribute.Value);
            body.RemoveAttribute(attribute.Name);
        }

        wrapper.Append([.. body.ChildNodes]);
        body.AppendChild(wrapper);
    }

    /// <summary>
    /// Replaces HTML-namespace wrappers that are not allowed but carry ordinary content (a form
    /// around a whole newsletter, Outlook's &lt;o:p&gt;) by their children, so the sanitiser
    /// (which removes a disallowed element together with its content) keeps the text.
    /// Everything dangerous (script, style sheets in foreign content, templates, svg, math, frames,
    /// select/textarea) is not unwrapped and goes with its content.
    /// </summary>
    private static void UnwrapHarmlessContainers(IElement body)
    {
        foreach (var element in body.QuerySelectorAll("*").ToList())
        {
            if (element.NamespaceUri != NamespaceNames.HtmlUri)
                continue;
            if (!UnwrappedTags.Contains(element.LocalName) && element is not IHtmlUnknownElement)
                continue;

            var children = element.ChildNodes.ToArray();
            if (children.Length == 0)
                element.Remove();
            else
                element.Replace(children);
        }
    }

    private sealed class PostProcessState
    {
        public int Blocked;
        public HashSet<string> ContentIds { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Walks the sanitised tree without recursion (the input may be nested deeply).</summary>
    private static void PostProcess(IElement body, PostProcessState state)
    {
        var stack = new Stack<(IElement Element, int Depth)>();
        PushChildren(stack, body, 1);

        while (stack.Count > 0)
        {
            var (element, depth) = stack.Pop();
            ProcessElement(element, state);

            if (depth >= MaxNestingDepth && element.ChildElementCount > 0)
            {
                // Keep the words, drop the structure below this depth.
                element.TextContent = element.TextContent;
                continue;
            }

            PushChildren(stack, element, depth + 1);
        }
    }

    private static void PushChildren(Stack<(IElement, int)> stack, IElement parent, int depth)
    {
        for (var child = parent.LastElementChild; child is not null; child = child.PreviousElementSibling)
            stack.Push((child, depth));
    }

    private static void ProcessElement(IElement element, PostProcessState state)
    {
        var name = element.LocalName;

        var src = element.GetAttribute("src");
        if (src is not null)
        {
            var kind = name == "img" ? EmailUrlPolicy.Classify(src, out src) : EmailUrlKind.Invalid;
            switch (kind)
            {
                case EmailUrlKind.Remote:
                    element.RemoveAttribute("src");
                    element.SetAttribute(RemoteSrcAttribute, src);
                    state.Blocked++;
                    break;
                case EmailUrlKind.ContentId:
                    AddContentId(state, src);
                    break;
                case EmailUrlKind.DataImage:
                    break;
                default:
                    element.RemoveAttribute("src");
                    break;
            }
        }

        var background = element.GetAttribute("background");
        if (background is not null)
        {
            switch (EmailUrlPolicy.Classify(background, out background))
            {
                case EmailUrlKind.Remote:
                    element.RemoveAttribute("background");
                    element.SetAttribute(RemoteBackgroundAttribute, background);
                    state.Blocked++;
                    break;
                case EmailUrlKind.ContentId:
                    AddContentId(state, background);
                    break;
                default:
                    element.RemoveAttribute("background");
                    break;
            }
        }

        var href = element.GetAttribute("href");
        if (href is not null)
        {
            var kind = name == "a" ? EmailUrlPolicy.Classify(href, out href) : EmailUrlKind.Invalid;
            switch (kind)
            {
                case EmailUrlKind.Remote or EmailUrlKind.Mailto:
                    element.SetAttribute("rel", "noopener noreferrer");
                    element.SetAttribute("target", "_blank");
                    break;
                case EmailUrlKind.Fragment:
                    break;
                default:
                    element.RemoveAttribute("href");
                    break;
            }
        }

        var style = element.GetAttribute("style");
        if (style is not null)
            AddCssContentIds(state, style);

        if (name == "style")
        {
            // HtmlSanitizer parks declarations it rewrote on the style element itself; they do nothing there.
            element.RemoveAttribute("style");
            element.TextContent = StyleSheetSecondOpinion.Filter(element.TextContent, PolicySanitizer.ForbiddenCssValue);
            AddCssContentIds(state, element.TextContent);
        }
    }

    private static void AddCssContentIds(PostProcessState state, string css)
    {
        if (!css.Contains("cid:", StringComparison.OrdinalIgnoreCase))
            return;

        foreach (Match match in CssContentIdUrl.Matches(css))
            AddContentId(state, "cid:" + match.Groups[1].Value);
    }

    private static void AddContentId(PostProcessState state, string cidUrl)
    {
        var id = Uri.UnescapeDataString(cidUrl[4..]).Trim().Trim('<', '>');
        if (id.Length > 0)
            state.ContentIds.Add(id);
    }

    /// <summary>HtmlSanitizer configured with the email allow-list; URL checks are ours.</summary>
    private sealed class PolicySanitizer : HtmlSanitizer
    {
        private static readonly string[] Tags =
        [
            "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "br",
            "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt",
            "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i",
            "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp",
            "section", "small", "span", "strike", "strong", "style", "sub", "summary", "sup", "table", "tbody", "td",
            "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
        ];

        private static readonly string[] Attributes =
        [
            "abbr", "align", "alt", "aria-hidden", "aria-label", "axis", "background", "bgcolor", "border",
            "cellpadding", "cellspacing", "char", "charoff", "class", "clear", "color", "cols", "colspan",
            "datetime", "dir", "face", "frame", "headers", "height", "href", "hspace", "id", "lang", "noshade",
            "nowrap", "open", "reversed", "role", "rowspan", "rules", "scope", "size", "span", "src", "start",
            "style", "summary", "title", "valign", "vspace", "width",
        ];

        private static readonly string[] RemovedCssProperties = ["position", "content", "cursor", "filter", "behavior", "-moz-binding"];
        private static readonly string[] RemovedCssPrefixes = ["mask", "border-image", "list-style-image"];

        // Matched against each declaration value after CSS escapes and comments are decoded.
        internal static readonly Regex ForbiddenCssValue = new(
            @"[<>\\]" +
            @"|[u][r\u0280][l\u029F]\s*\((?!\s*['""]?\s*cid:)" +
            @"|image-set|\bimage\s*\(|cross-fade|\belement\s*\(|\bsrc\s*\(|\bvar\s*\(|\benv\s*\(|\battr\s*\(" +
            @"|expression|behavior|binding|javascript|vbscript|@import",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

        public PolicySanitizer()
        {
            Reset(AllowedTags, Tags);
            Reset(AllowedAttributes, Attributes);
            Reset(AllowedSchemes, ["http", "https", "mailto", "cid"]);
            Reset(AllowedCssProperties, HtmlSanitizerDefaults.AllowedCssProperties
                .Where(p => !RemovedCssProperties.Contains(p, StringComparer.OrdinalIgnoreCase)
                    && !RemovedCssPrefixes.Any(prefix => p.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))));
            AllowedAtRules.Clear();
            AllowedAtRules.Add(CssRuleType.Style);
            AllowedAtRules.Add(CssRuleType.Media);
            AllowedClasses.Clear();
            UriAttributes.Add("background");
            AllowCssCustomProperties = false;
            AllowDataAttributes = false;
            KeepChildNodes = false;
            DisallowCssPropertyValue = ForbiddenCssValue;
        }

        private static void Reset(ISet<string> set, IEnumerable<string> values)
        {
            set.Clear();
            set.UnionWith(values);
        }

        protected override string? SanitizeUrl(IElement element, string url, string baseUrl)
        {
            var kind = EmailUrlPolicy.Classify(url, out var cleaned);
            return kind switch
            {
                EmailUrlKind.Remote or EmailUrlKind.Mailto or EmailUrlKind.ContentId => cleaned,
                EmailUrlKind.DataImage when element.LocalName == "img" => cleaned,
                EmailUrlKind.Fragment when element.LocalName == "a" => cleaned,
                _ => null,
            };
        }
    }
}

internal enum EmailUrlKind
{
    Invalid,
    Remote,
    Mailto,
    ContentId,
    DataImage,
    Fragment,
}

/// <summary>Strict URL classification: absolute URLs with an allowed scheme only.</summary>
internal static class EmailUrlPolicy
{
    private static readonly Regex DataImage = new(
        @"^data:image/(?:png|jpeg|gif|webp)(?:;[^,;]*)*,", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>
    /// Classifies <paramref name="url"/> the way a browser would read it (tab and line breaks
    /// removed, leading/trailing controls and spaces trimmed) and returns that cleaned form.
    /// </summary>
    public static EmailUrlKind Classify(string url, out string cleaned)
    {
        cleaned = Clean(url);
        if (cleaned.Length == 0)
            return EmailUrlKind.Invalid;
        if (cleaned[0] == '#')
            return EmailUrlKind.Fragment;

        var colon = cleaned.IndexOf(':');
        if (colon <= 0 || !IsScheme(cleaned.AsSpan(0, colon)))
            return EmailUrlKind.Invalid;

        var scheme = cleaned[..colon].ToLowerInvariant();
        return scheme switch
        {
            "http" or "https" => EmailUrlKind.Remote,
            "mailto" => EmailUrlKind.Mailto,
            "cid" when cleaned.Length > 4 => EmailUrlKind.ContentId,
            "data" when DataImage.IsMatch(cleaned) => EmailUrlKind.DataImage,
            _ => EmailUrlKind.Invalid,
        };
    }

    private static string Clean(string url)
    {
        Span<char> buffer = url.Length <= 512 ? stackalloc char[url.Length] : new char[url.Length];
        var length = 0;
        foreach (var c in url)
        {
            if (c is not ('\t' or '\n' or '\r'))
                buffer[length++] = c;
        }

        var span = buffer[..length];
        var start = 0;
        while (start < span.Length && span[start] <= ' ')
            start++;
        var end = span.Length;
        while (end > start && span[end - 1] <= ' ')
            end--;

        return new string(span[start..end]);
    }

    private static bool IsScheme(ReadOnlySpan<char> scheme)
    {
        if (!char.IsAsciiLetter(scheme[0]))
            return false;

        foreach (var c in scheme)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
                return false;
        }

        return true;
    }
}
