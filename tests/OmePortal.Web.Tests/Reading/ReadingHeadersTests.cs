using OmePortal.Core.Mime;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Tests.Reading;

public sealed class ReadingHeadersTests
{
    [Theory]
    [InlineData("report.pdf", "attachment; filename=report.pdf; filename*=UTF-8''report.pdf")]
    [InlineData("Übersicht Q4.csv", "attachment; filename=\"_bersicht Q4.csv\"; filename*=UTF-8''%C3%9Cbersicht%20Q4.csv")]
    [InlineData("a\"b;c%d.txt", "attachment; filename=a_b_c_d.txt; filename*=UTF-8''a%22b%3Bc%25d.txt")]
    public void AttachmentDisposition_HasAsciiFallbackAndUtf8Name(string name, string expected)
    {
        Assert.Equal(expected, ReadingHeaders.AttachmentDisposition(name));
    }

    [Fact]
    public void AttachmentDisposition_RoundTripsThroughAClientParser()
    {
        const string name = "Concept-overeenkomst-Ŝpecial-ĳzer-€.docx";
        var parsed = System.Net.Http.Headers.ContentDispositionHeaderValue.Parse(ReadingHeaders.AttachmentDisposition(name));
        Assert.Equal("attachment", parsed.DispositionType);
        Assert.Equal(name, parsed.FileNameStar);
    }

    [Theory]
    [InlineData("application/pdf", "application/pdf")]
    [InlineData("text/csv", "text/csv")]
    [InlineData("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    [InlineData("text/html", "application/octet-stream")]
    [InlineData("application/xhtml+xml", "application/octet-stream")]
    [InlineData("image/svg+xml", "application/octet-stream")]
    [InlineData("text/xml", "application/octet-stream")]
    [InlineData("application/javascript", "application/octet-stream")]
    [InlineData("message/rfc822", "application/octet-stream")]
    [InlineData("multipart/mixed", "application/octet-stream")]
    [InlineData("not a type", "application/octet-stream")]
    [InlineData("text/plain; charset=utf-7", "application/octet-stream")]
    public void DownloadContentType_NeverAnActiveType(string declared, string expected)
    {
        var entry = new AttachmentEntry(0, "f", declared, 1, null, false, 0, 1, "base64");
        Assert.Equal(expected, ReadingHeaders.DownloadContentType(entry));
    }

    [Fact]
    public void BodyFramePolicy_NeverAllowsAnotherHost_RemoteImagesComeThroughTheProxy()
    {
        Assert.Equal(
            "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src '" + ReadingHeaders.ScriptHash(BodyDocument.FrameScript) + "'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox",
            ReadingHeaders.BodyFramePolicy);
    }

    /// <summary>The one script the frame may run is the portal's height report, named by its hash; never same-origin, never inline script at large.</summary>
    [Fact]
    public void BodyFramePolicy_AllowsOnlyTheHeightReportByItsHash()
    {
        var scriptSources = ReadingHeaders.BodyFramePolicy.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.Equal("script-src 'sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(BodyDocument.FrameScript))) + "'", scriptSources);
        Assert.DoesNotContain("unsafe-inline'; base", ReadingHeaders.BodyFramePolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("nonce-", ReadingHeaders.BodyFramePolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", ReadingHeaders.BodyFramePolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-same-origin", ReadingHeaders.BodyFramePolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-same-origin", ReadingHeaders.FrameSandbox, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-forms", ReadingHeaders.FrameSandbox, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-top-navigation", ReadingHeaders.FrameSandbox, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-modals", ReadingHeaders.FrameSandbox, StringComparison.Ordinal);
    }

    /// <summary>The script posts only a number to its parent; it never reads what the parent sends, it only reports again.</summary>
    [Fact]
    public void FrameScript_PostsOnlyItsHeight()
    {
        Assert.Contains("parent.postMessage({omeFrameHeight:h},\"*\")", BodyDocument.FrameScript, StringComparison.Ordinal);
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(BodyDocument.FrameScript, "postMessage"));
        Assert.DoesNotContain("e.data", BodyDocument.FrameScript, StringComparison.Ordinal);
        Assert.DoesNotContain("fetch", BodyDocument.FrameScript, StringComparison.Ordinal);
        Assert.DoesNotContain("cookie", BodyDocument.FrameScript, StringComparison.Ordinal);
    }
}
