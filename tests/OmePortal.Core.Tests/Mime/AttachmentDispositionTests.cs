using OmePortal.Core.Mime;
using static OmePortal.Core.Tests.Mime.MimeTestData;

namespace OmePortal.Core.Tests.Mime;

/// <summary>The render model keeps whether a part was marked <c>Content-Disposition: attachment</c> (Do-Not-Forward reads it).</summary>
public sealed class AttachmentDispositionTests
{
    [Fact]
    public void Build_PartMarkedAsAttachment_IsMarked_EvenWhenTheHtmlShowsIt()
    {
        var (parsed, stream) = ParseSample("01-dutch-policy-inline-logo-pdf.eml");
        using (stream)
        using (parsed.Message)
        {
            var logo = parsed.RenderModel.Attachments.Single(a => a.FileName == "logo.png");
            Assert.True(logo.IsInline);
            Assert.True(logo.MarkedAsAttachment);
            Assert.True(parsed.RenderModel.Attachments.Single(a => a.ContentType == "application/pdf").MarkedAsAttachment);
        }
    }

    [Fact]
    public void Build_InlineOrUndeclaredPart_IsNotMarked()
    {
        var parsed = ParseText(
            "From: a@contoso.test\r\nTo: b@example.nl\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/related; boundary=\"b\"\r\n\r\n"
            + "--b\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:one@x\"><img src=\"cid:two@x\">\r\n"
            + "--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-ID: <one@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
            + "--b\r\nContent-Type: image/png\r\nContent-ID: <two@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
            + "--b--\r\n");
        using (parsed.Message)
        {
            Assert.Equal(2, parsed.RenderModel.Attachments.Count);
            Assert.All(parsed.RenderModel.Attachments, a => Assert.True(a.IsInline));
            Assert.All(parsed.RenderModel.Attachments, a => Assert.False(a.MarkedAsAttachment));
        }
    }

    [Fact]
    public void Serializer_KeepsTheMark_AndAModelWithoutItReadsAsUnmarked()
    {
        var model = new RenderModel
        {
            PolicyVersion = EmailHtmlSanitizer.PolicyVersion,
            Attachments = [new AttachmentEntry(0, "scan.png", "image/png", 10, "scan@x", true, 100, 20, "base64", MarkedAsAttachment: true)],
        };

        Assert.True(RenderModelSerializer.DeserializeSummary(RenderModelSerializer.Serialize(model)).Attachments[0].MarkedAsAttachment);

        // A model stored before the mark existed has no such property: it reads as unmarked, and its older policy version gets it rebuilt.
        var stored = RenderModelSerializer.SerializeSummary(model);
        var json = System.Text.Encoding.UTF8.GetString(stored.AsSpan(3));
        var older = json.Replace(",\"markedAsAttachment\":true", string.Empty, StringComparison.Ordinal);
        Assert.NotEqual(json, older);
        var olderStored = stored[..3].Concat(System.Text.Encoding.UTF8.GetBytes(older)).ToArray();
        Assert.False(RenderModelSerializer.DeserializeSummary(olderStored).Attachments[0].MarkedAsAttachment);
    }
}
