using System.Diagnostics;
using System.Text;
using OmePortal.Core.Mime;
using static OmePortal.Core.Tests.Mime.MimeTestData;

namespace OmePortal.Core.Tests.Mime;

public sealed class EmailHtmlSanitizerTests
{
    private readonly EmailHtmlSanitizer _sanitizer = EmailHtmlSanitizer.Default;

    public static TheoryData<string> HostileCorpus() => new(HostileInputs);

    private static readonly string[] HostileInputs =
    [
        // script and event handlers
        "<script>alert(1)</script><p>ok</p>",
        "<SCRIPT SRC=https://evil.test/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<body onload=alert(1)><p>x</p>",
        "<a href=\"#\" onclick=\"alert(1)\" OnMouseOver=\"alert(2)\">x</a>",
        "<div style=\"color:red\" onfocus=alert(1) tabindex=1 autofocus>x</div>",
        // javascript: / vbscript: (plain, mixed case, entity-encoded, whitespace-obfuscated)
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\" \u0001javascript:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\"jav\nascript:alert(1)\">x</a>",
        "<a href=\"javascript&colon;alert(1)\">x</a>",
        "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<img src=\"VBScript:msgbox(1)\">",
        // data: URLs
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<img src=\"data:text/html,<script>alert(1)</script>\">",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
        "<iframe src=\"data:text/html,<script>alert(1)</script>\"></iframe>",
        // svg and math foreign content
        "<svg onload=alert(1)><circle r=1></circle></svg>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text x=0 y=20>x</text></a></svg>",
        "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>",
        // template and declarative shadow DOM
        "<template><img src=x onerror=alert(1)></template>",
        "<div><template shadowrootmode=\"open\"><img src=x onerror=alert(1)></template></div>",
        "<div><template shadowroot=\"open\"><script>alert(1)</script></template></div>",
        // raw text tricks
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "<xmp><img src=x onerror=alert(1)></xmp>",
        "<textarea><img src=x onerror=alert(1)></textarea>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"https://evil.test/x.swf\"></object><embed src=\"https://evil.test/x\">",
        "<frameset><frame src=\"javascript:alert(1)\"></frameset>",
        // document-level elements
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.test/\"><p>x</p>",
        "<base href=\"https://evil.test/\"><a href=\"x\">x</a>",
        "<link rel=\"stylesheet\" href=\"https://evil.test/x.css\">",
        // forms
        "<form action=\"https://evil.test/\"><input name=p type=password><button formaction=\"https://evil.test/\">Go</button>" +
            "<select><option>1</option></select><textarea>t</textarea><input type=image src=\"https://evil.test/i.png\"></form>",
        // CSS
        "<div style=\"background:url(https://evil.test/x.png)\">x</div>",
        "<div style=\"background-image:url('//evil.test/x.png')\">x</div>",
        "<div style=\"background: u\\72l(https://evil.test/x.png)\">x</div>",
        "<div style=\"background:url(/relative.png)\">x</div>",
        "<div style=\"list-style-image:url(https://evil.test/x)\">x</div>",
        "<style>@import url(https://evil.test/x.css); p{color:red}</style><p>x</p>",
        "<style>@import 'https://evil.test/x.css';</style>",
        "<style>body{background:url(https://evil.test/t.gif)} p{color:red}</style>",
        "<style>@font-face{font-family:x;src:url(https://evil.test/f.woff)}</style>",
        "<style>@media screen{p{background:url(https://evil.test/m.gif);color:red}}</style>",
        "<div style=\"--x:url(https://evil.test/a.png); background: var(--x)\">x</div>",
        "<style>:root{--x:url(https://evil.test/a.png)} p{background-image:var(--x)}</style>",
        "<div style=\"background-image:image-set('https://evil.test/a.png' 1x)\">x</div>",
        "<div style=\"background-image:-webkit-image-set(url(https://evil.test/a.png) 1x)\">x</div>",
        "<div style=\"width: expression(alert(1))\">x</div>",
        "<div style=\"behavior:url(x.htc)\">x</div>",
        "<div style=\"-moz-binding:url(https://evil.test/x.xml#xss)\">x</div>",
        "<div style=\"position:fixed;top:0;left:0;width:100%\">overlay</div>",
        "<div style=\"position:absolute\">x</div>",
        "<style>.x{position:fixed}</style>",
        // shorthands in a style sheet that HtmlSanitizer does not enumerate declaration by declaration
        "<style>div{border-image:url(https://evil.test/b.png) 30}</style><div>x</div>",
        "<style>div{border:1px solid red;border-image:url(https://evil.test/b.png) 30 round}</style><div>x</div>",
        "<style>div{mask:url(https://evil.test/m.svg)} li{list-style:url(https://evil.test/l.png) inside}</style><div>x</div>",
        "<style>@media screen{div{border-image:url(https://evil.test/b.png) 30;color:red}}</style><div>x</div>",
        // remote images and tracking
        "<img src=\"https://track.example.com/open.gif?u=alice\" width=\"1\" height=\"1\">",
        "<img src=\"//evil.test/pixel.gif\">",
        "<img srcset=\"https://evil.test/a.png 1x\">",
        "<table background=\"https://evil.test/bg.png\"><tr><td background=\"http://evil.test/td.png\">x</td></tr></table>",
        "<video poster=\"https://evil.test/p.png\"><source src=\"https://evil.test/v.mp4\"></video>",
        "<a href=\"https://ok.test/\" ping=\"https://evil.test/ping\" target=\"_self\">x</a>",
    ];

    [Theory]
    [MemberData(nameof(HostileCorpus))]
    public void Sanitize_HostileInput_OutputHasNoScriptVectorsFormsForeignContentOrRemoteFetches(string html)
    {
        var output = _sanitizer.Sanitize(html, out _);

        AssertSafe(output);
    }

    [Fact]
    public void Sanitize_StyleSheetShorthandWithRemoteUrl_DropsTheUrlKeepsTheOtherRules()
    {
        const string html = "<style>div.b { border: 1px solid red; border-image: url(https://evil.test/b.png) 30 } p { color: blue }</style><div class=\"b\">x</div><p>y</p>";

        var output = _sanitizer.Sanitize(html, out _);

        Assert.DoesNotContain("evil.test", output, StringComparison.Ordinal);
        Assert.DoesNotContain("url(", output, StringComparison.OrdinalIgnoreCase);
        using var document = ParseHtml(output);
        var style = document.QuerySelector("style");
        Assert.NotNull(style);
        Assert.False(style.HasAttribute("style"));
        Assert.Contains("color: rgba(0, 0, 255, 1)", style.TextContent, StringComparison.Ordinal);
        Assert.Contains("border: 1px solid rgba(255, 0, 0, 1)", style.TextContent, StringComparison.Ordinal);
        AssertSafe(output);
    }

    [Fact]
    public void Sanitize_RemoteImagesAndTrackingPixel_MovedToDataAttributeAndCounted()
    {
        const string html = "<html><body><p>Hello Alice,</p><p><img src=\"https://images.example.com/banner.png\" alt=\"banner\"></p>" +
            "<p>View your <a href=\"https://bank.contoso.test/statements\">statement</a>.</p>" +
            "<img src=\"https://track.example.com/open.gif?u=alice\" width=\"1\" height=\"1\"></body></html>";

        var output = _sanitizer.Sanitize(html, out var blocked);

        Assert.Equal(2, blocked);
        using var document = ParseHtml(output);
        var images = document.QuerySelectorAll("img").ToList();
        Assert.Equal(2, images.Count);
        Assert.All(images, img => Assert.False(img.HasAttribute("src")));
        Assert.Equal(
            ["https://images.example.com/banner.png", "https://track.example.com/open.gif?u=alice"],
            images.Select(i => i.GetAttribute(EmailHtmlSanitizer.RemoteSrcAttribute) ?? "(none)").ToArray());
        Assert.Equal("banner", images[0].GetAttribute("alt"));
        Assert.Contains("Hello Alice,", document.Body!.TextContent);
        AssertSafe(output);
    }

    [Fact]
    public void Sanitize_RemoteBackgroundAttribute_MovedAndCounted()
    {
        var output = _sanitizer.Sanitize("<table background=\"https://evil.test/bg.png\"><tr><td>x</td></tr></table>", out var blocked);

        Assert.Equal(1, blocked);
        using var document = ParseHtml(output);
        var table = Assert.Single(document.QuerySelectorAll("table"));
        Assert.False(table.HasAttribute("background"));
        Assert.Equal("https://evil.test/bg.png", table.GetAttribute(EmailHtmlSanitizer.RemoteBackgroundAttribute));
    }

    [Fact]
    public void Sanitize_RemoteImageUrlWithEmbeddedLineBreak_RecognisedAsRemoteLikeABrowserWould()
    {
        var output = _sanitizer.Sanitize("<img src=\" ht\ntps://evil.test/p\t.gif \">", out var blocked);

        Assert.Equal(1, blocked);
        using var document = ParseHtml(output);
        Assert.Equal("https://evil.test/p.gif", document.QuerySelector("img")!.GetAttribute(EmailHtmlSanitizer.RemoteSrcAttribute));
    }

    [Fact]
    public void Sanitize_ForgedRemoteSrcAttribute_IsRemoved()
    {
        var output = _sanitizer.Sanitize("<img data-ome-remote-src=\"https://evil.test/x\" alt=a>", out var blocked);

        Assert.Equal(0, blocked);
        using var document = ParseHtml(output);
        Assert.False(Assert.Single(document.QuerySelectorAll("img")).HasAttribute(EmailHtmlSanitizer.RemoteSrcAttribute));
    }

    [Fact]
    public void Sanitize_CidImage_KeptAndReported()
    {
        var result = _sanitizer.SanitizeDetailed("<img src=\"cid:logo%40contoso.test\" alt=\"logo\"><p style=\"background:url(cid:bg@x)\">x</p>");

        using var document = ParseHtml(result.Html);
        Assert.Equal("cid:logo%40contoso.test", document.QuerySelector("img")!.GetAttribute("src"));
        Assert.Equal(0, result.BlockedRemoteImages);
        Assert.Contains("logo@contoso.test", result.ContentIds);
        Assert.Contains("bg@x", result.ContentIds);
    }

    [Fact]
    public void Sanitize_DataImagePng_KeptButSvgAndHtmlDataRemoved()
    {
        const string png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        var output = _sanitizer.Sanitize(
            $"<img id=a src=\"{png}\"><img id=b src=\"data:image/svg+xml;base64,PHN2Zz4=\"><img id=c src=\"data:text/html,x\">" +
            $"<a id=d href=\"{png}\">x</a>", out _);

        using var document = ParseHtml(output);
        Assert.Equal(png, document.GetElementById("a")!.GetAttribute("src"));
        Assert.False(document.GetElementById("b")!.HasAttribute("src"));
        Assert.False(document.GetElementById("c")!.HasAttribute("src"));
        Assert.False(document.GetElementById("d")!.HasAttribute("href"));
    }

    [Theory]
    [InlineData("https://bank.contoso.test/statements")]
    [InlineData("http://example.com/a?b=c")]
    [InlineData("mailto:someone@example.com")]
    public void Sanitize_Link_KeepsHrefAndOpensSafelyInNewWindow(string href)
    {
        var output = _sanitizer.Sanitize($"<a href=\"{href}\" target=\"_self\" rel=\"opener\">link</a>", out _);

        using var document = ParseHtml(output);
        var link = Assert.Single(document.QuerySelectorAll("a"));
        Assert.Equal(href, link.GetAttribute("href"));
        Assert.Equal("noopener noreferrer", link.GetAttribute("rel"));
        Assert.Equal("_blank", link.GetAttribute("target"));
    }

    [Theory]
    [InlineData("relative/page.html")]
    [InlineData("//evil.test/x")]
    [InlineData("ftp://example.com/file")]
    [InlineData("cid:part@x")]
    public void Sanitize_LinkWithoutAllowedAbsoluteScheme_LosesHref(string href)
    {
        var output = _sanitizer.Sanitize($"<a href=\"{href}\">link</a>", out _);

        using var document = ParseHtml(output);
        var link = Assert.Single(document.QuerySelectorAll("a"));
        Assert.False(link.HasAttribute("href"));
        Assert.Equal("link", link.TextContent);
    }

    [Fact]
    public void Sanitize_Css_KeepsHarmlessDeclarationsAndDropsPositionAndRemoteUrls()
    {
        var output = _sanitizer.Sanitize(
            "<style>p{color:red} .x{background:url(https://evil.test/a.png);font-weight:bold} @import url(https://evil.test/i.css);</style>" +
            "<p style=\"color:#0078d4;position:absolute;background-image:url(https://evil.test/b.png);font-size:12px\">x</p>", out _);

        using var document = ParseHtml(output);
        var style = Assert.Single(document.QuerySelectorAll("style"));
        Assert.Contains("color", style.TextContent);
        Assert.Contains("font-weight", style.TextContent);
        var p = Assert.Single(document.QuerySelectorAll("p"));
        var inline = p.GetAttribute("style")!;
        Assert.Contains("color", inline);
        Assert.Contains("font-size", inline);
        Assert.DoesNotContain("position", inline);
        AssertSafe(output);
    }

    [Fact]
    public void Sanitize_BodyAttributes_KeptOnAWrapperAndSanitised()
    {
        var output = _sanitizer.Sanitize(
            "<html><head><title>t</title></head><body style=\"background:#f3f2f1;position:fixed\" bgcolor=\"#ffffff\" onload=\"alert(1)\" background=\"https://evil.test/bg.png\"><p>x</p></body></html>",
            out var blocked);

        using var document = ParseHtml(output);
        var wrapper = Assert.Single(document.Body!.Children);
        Assert.Equal("div", wrapper.LocalName);
        Assert.Equal("#ffffff", wrapper.GetAttribute("bgcolor"));
        Assert.Contains("background", wrapper.GetAttribute("style"));
        Assert.Equal("https://evil.test/bg.png", wrapper.GetAttribute(EmailHtmlSanitizer.RemoteBackgroundAttribute));
        Assert.Equal(1, blocked);
        Assert.Equal("x", wrapper.TextContent);
        AssertSafe(output);
    }

    [Fact]
    public void Sanitize_FormAroundContent_UnwrappedSoTextSurvives()
    {
        var output = _sanitizer.Sanitize("<form action=\"https://evil.test\"><p>Your statement</p><label>Name <input name=n></label><button>Pay</button></form><o:p>office</o:p>", out _);

        using var document = ParseHtml(output);
        var text = document.Body!.TextContent;
        Assert.Contains("Your statement", text);
        Assert.Contains("Name", text);
        Assert.Contains("Pay", text);
        Assert.Contains("office", text);
        AssertSafe(output);
    }

    [Fact]
    public void Sanitize_600DeepNesting_CompletesQuicklyWithSafeBoundedOutput()
    {
        var html = string.Concat(Enumerable.Repeat("<div>", 600)) + "<img src=x onerror=alert(1)><b>deep text</b>" +
            string.Concat(Enumerable.Repeat("</div>", 600)) + "<p>after</p>";

        var watch = Stopwatch.StartNew();
        var output = _sanitizer.Sanitize(html, out _);
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        AssertSafe(output);
        using var document = ParseHtml(output);
        Assert.True(MaxDepth(document.Body!) <= EmailHtmlSanitizer.MaxNestingDepth, "output nesting is not bounded");
        Assert.Contains("deep text", document.Body!.TextContent);
        Assert.Contains("after", document.Body!.TextContent);
    }

    [Fact]
    public void Sanitize_DeepNestingInsideForeignContent_StaysSafe()
    {
        var html = string.Concat(Enumerable.Repeat("<div>", 520)) + "<svg><style><img src=x onerror=alert(1)></style></svg>" +
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(2)>";

        var output = _sanitizer.Sanitize(html, out _);

        AssertSafe(output);
    }

    [Fact]
    public void Sanitize_TooManyElements_TruncatedAndFlagged()
    {
        var html = string.Concat(Enumerable.Repeat("<p>x</p>", EmailHtmlSanitizer.MaxElements + 100));

        var result = _sanitizer.SanitizeDetailed(html);

        Assert.True(result.Truncated);
        using var document = ParseHtml(result.Html);
        Assert.Equal(EmailHtmlSanitizer.MaxElements, document.QuerySelectorAll("p").Length);
    }

    [Fact]
    public void Sanitize_OrdinaryEmail_NotTruncated()
    {
        var result = _sanitizer.SanitizeDetailed("<table><tr><td><p>Hi</p></td></tr></table>");

        Assert.False(result.Truncated);
        Assert.Contains("<td><p>Hi</p></td>", result.Html);
    }

    [Fact]
    public void Sanitize_ConcurrentCalls_GiveTheSameResultAsSequentialOnes()
    {
        var inputs = HostileInputs;
        var expected = inputs.Select(i => _sanitizer.Sanitize(i, out _)).ToArray();

        var results = new string[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            results[t] = inputs.Select(i => _sanitizer.Sanitize(i, out _)).ToArray();
        });

        Assert.All(results, r => Assert.Equal(expected, r));
    }

    private static int MaxDepth(AngleSharp.Dom.IElement root)
    {
        var max = 0;
        var stack = new Stack<(AngleSharp.Dom.IElement, int)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (element, depth) = stack.Pop();
            max = Math.Max(max, depth);
            foreach (var child in element.Children)
                stack.Push((child, depth + 1));
        }

        return max;
    }
}
