using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Tests.Reading;

/// <summary>The body frame document: cid rewriting, remote images only on request and only through the proxy, text as text.</summary>
public sealed class BodyDocumentTests
{
    private static AttachmentEntry Entry(int index, string type, string? contentId) =>
        new(index, $"file-{index}", type, 10, contentId, contentId is not null, 0, 10, "base64");

    private static string Url(int index) => $"/messages/m/inline/{index}?t=T";

    private static string? Proxy(Uri url) => "/messages/m/remote-image?u=" + Uri.EscapeDataString(url.AbsoluteUri) + "&s=S";

    private static RenderModel Model(string? html = null, string? text = null, params AttachmentEntry[] attachments) =>
        new() { Subject = "Subject <b>&", HtmlBody = html, TextBody = text, Attachments = attachments };

    [Fact]
    public void Compose_OfASummary_IsRefused_AndItsPartsMakeTheWholeDocument()
    {
        var summary = RenderModelSerializer.DeserializeSummary(RenderModelSerializer.Serialize(Model("<p>body</p>")));
        Assert.Throws<ArgumentException>(() => BodyDocument.Compose(summary, Url, remoteImageUrl: null, "en"));

        var parts = BodyDocument.Compose(Model("<p>body</p>"), Url, remoteImageUrl: null, "en");
        Assert.Equal("<p>body</p>", parts.Body);
        Assert.StartsWith("<!DOCTYPE html><html lang=\"en\">", parts.Head, StringComparison.Ordinal);
        Assert.EndsWith("<body>", parts.Head, StringComparison.Ordinal);
        Assert.Equal("</body></html>", parts.Tail);
        Assert.Equal(BodyDocument.Build(Model("<p>body</p>"), Url, remoteImageUrl: null, "en"), parts.ToString());
    }

    [Theory]
    [InlineData("<p>plain – ü</p>", false)]
    [InlineData("<p><img src=\"CID:logo@x\" alt=\"Logo\"></p>", false)]
    [InlineData("<img data-ome-remote-src=\"https://images.example/a.png\" alt=\"r\">", true)]
    [InlineData("<img data-ome-remote-src=\"https://images.example/a.png\" alt=\"r\">", false)]
    public void Compose_FromTheVaultsUtf8_IsTheSameDocumentAsFromTheFullModel(string html, bool showImages)
    {
        var full = Model(html, null, Entry(0, "image/png", "logo@x"));
        var json = RenderModelSerializer.Serialize(full);
        var summary = RenderModelSerializer.DeserializeSummary(json);
        using var utf8 = RenderModelSerializer.CopyHtmlBody(json)!;

        var parts = BodyDocument.Compose(summary, Url, showImages ? Proxy : null, "nl", htmlUtf8: utf8.Memory);

        Assert.Equal(BodyDocument.Build(full, Url, showImages ? Proxy : null, "nl"), parts.ToString());
        // Only a body that must be rewritten becomes a string; any other is sent as the vault's bytes.
        Assert.Equal(html.Contains("cid:", StringComparison.OrdinalIgnoreCase) || (showImages && html.Contains("data-ome-remote-", StringComparison.Ordinal)), parts.Utf8Body.IsEmpty);
    }

    [Fact]
    public void Build_ContentIdImage_PointsAtTheInlineUrl()
    {
        var html = BodyDocument.Build(
            Model("<p><img src=\"cid:logo@x\" alt=\"Logo\"><img src=\"cid:%3Cother@x%3E\"></p>", null, Entry(0, "application/pdf", null), Entry(1, "image/png", "logo@x"), Entry(2, "image/gif", "other@x")),
            Url, remoteImageUrl: null, "en");

        Assert.Contains("<img src=\"/messages/m/inline/1?t=T\" alt=\"Logo\">", html, StringComparison.Ordinal);
        Assert.Contains("<img src=\"/messages/m/inline/2?t=T\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("cid:", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ContentIdOfNothingOrOfSvg_IsRemoved()
    {
        var html = BodyDocument.Build(
            Model("<img src=\"cid:missing@x\" alt=\"a\"><img src=\"cid:vector@x\" alt=\"b\"><td background=\"cid:missing@x\">x</td>", null, Entry(0, "image/svg+xml", "vector@x")),
            Url, remoteImageUrl: null, "en");

        Assert.DoesNotContain("cid:", html, StringComparison.Ordinal);
        Assert.DoesNotContain("/inline/", html, StringComparison.Ordinal);
        Assert.Contains("alt=\"a\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RemoteImages_StayBlockedUnlessAsked_AndThenGoThroughTheProxy()
    {
        const string body = "<img data-ome-remote-src=\"https://tracker.example/p.gif\" alt=\"t\"><table data-ome-remote-background=\"http://img.example/bg.png\"><tr><td>x</td></tr></table>";

        var blocked = BodyDocument.Build(Model(body), Url, remoteImageUrl: null, "en");
        Assert.DoesNotContain(" src=\"https://tracker.example", blocked, StringComparison.Ordinal);
        Assert.DoesNotContain(" background=\"http", blocked, StringComparison.Ordinal);

        var shown = BodyDocument.Build(Model(body), Url, Proxy, "en");
        Assert.Contains("src=\"/messages/m/remote-image?u=https%3A%2F%2Ftracker.example%2Fp.gif&amp;s=S\"", shown, StringComparison.Ordinal);
        Assert.Contains("background=\"/messages/m/remote-image?u=http%3A%2F%2Fimg.example%2Fbg.png&amp;s=S\"", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("data-ome-remote", shown, StringComparison.Ordinal);

        // The sender's URLs are never handed to the browser as URLs.
        Assert.DoesNotContain("=\"http", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RemoteImageTheProxyDeclines_StaysBlocked()
    {
        const string body = "<img data-ome-remote-src=\"https://tracker.example/p.gif\" alt=\"t\">";
        var shown = BodyDocument.Build(Model(body), Url, _ => null, "en");
        Assert.Contains("data-ome-remote-src=\"https://tracker.example/p.gif\"", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(" src=", shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("//evil.example/x.png")]
    [InlineData("ftp://evil.example/x.png")]
    public void Build_OnlyHttpUrlsAreEverRestored(string url)
    {
        var shown = BodyDocument.Build(Model($"<img data-ome-remote-src=\"{System.Net.WebUtility.HtmlEncode(url)}\">"), Url, Proxy, "en");
        Assert.DoesNotContain(" src=", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_TextBody_IsEscapedPreformattedText()
    {
        var html = BodyDocument.Build(Model(text: "a < b & <script>x</script>\nline two"), Url, remoteImageUrl: null, "nl");

        Assert.Contains("<pre class=\"ome-text\">a &lt; b &amp; &lt;script&gt;x&lt;/script&gt;\nline two</pre>", html, StringComparison.Ordinal);
        Assert.Contains("<html lang=\"nl\">", html, StringComparison.Ordinal);
        Assert.Contains("<title>Subject &lt;b&gt;&amp;</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_HtmlWins_OverText()
    {
        var html = BodyDocument.Build(Model("<p>rich</p>", "plain"), Url, remoteImageUrl: null, "en");
        Assert.Contains("<p>rich</p>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("plain", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NotPrintable_HidesTheBodyWhenPrinted()
    {
        Assert.Contains("@media print{body{display:none}}", BodyDocument.Build(Model("<p>x</p>"), Url, null, "en", ProtectionLevel.DoNotForward), StringComparison.Ordinal);
        Assert.DoesNotContain("@media print", BodyDocument.Build(Model("<p>x</p>"), Url, null, "en"), StringComparison.Ordinal);
    }

    [Fact]
    public void Rewrite_NothingToRewrite_ReturnsTheSameString()
    {
        const string html = "<p class=\"x\">unchanged &amp; as is</p>";
        Assert.Same(html, BodyDocument.Rewrite(html, [], Url, Proxy));
    }

    [Theory]
    [InlineData("image/png", true)]
    [InlineData("image/jpeg", true)]
    [InlineData("image/gif", true)]
    [InlineData("image/webp", true)]
    [InlineData("image/svg+xml", false)]
    [InlineData("text/html", false)]
    [InlineData("application/pdf", false)]
    public void IsInlineImage_OnlyRasterImagesWithAContentId(string type, bool expected)
    {
        Assert.Equal(expected, BodyDocument.IsInlineImage(Entry(0, type, "id@x"), ProtectionLevel.EncryptOnly));
        Assert.False(BodyDocument.IsInlineImage(Entry(0, type, null), ProtectionLevel.EncryptOnly));
    }
}
