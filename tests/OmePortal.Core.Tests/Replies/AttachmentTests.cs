using System.Text;
using OmePortal.Core.Replies;

namespace OmePortal.Core.Tests.Replies;

public sealed class AttachmentTests
{
    [Theory]
    [InlineData("report.txt", "%PDF-1.7\n%binary", "application/pdf")]
    [InlineData("photo.pdf", "\u0089PNG\r\n\u001a\n....", "image/png")]
    [InlineData("letter.docx", "PK\u0003\u0004rest", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    [InlineData("archive.bin", "PK\u0003\u0004rest", "application/zip")]
    [InlineData("notes.txt", "plain words\nand more", "text/plain")]
    [InlineData("table.csv", "a;b\n1;2", "text/csv")]
    [InlineData("notes.txt", "MZ\u0090\u0000binary", "application/octet-stream")]
    [InlineData("invoice.pdf", "MZ\u0090\u0000this is an exe", "application/octet-stream")]
    [InlineData("page.html", "<html><script>alert(1)</script>", "application/octet-stream")]
    [InlineData("image.svg", "<svg onload=alert(1)>", "application/octet-stream")]
    public void Detect_TrustsContentNotTheName(string name, string content, string expected)
    {
        var bytes = Encoding.Latin1.GetBytes(content);
        Assert.Equal(expected, AttachmentTypes.Detect(name, bytes, complete: true));
    }

    [Fact]
    public void Detect_TextWithInvalidUtf8_IsNotText()
    {
        Assert.Equal(AttachmentTypes.Unknown, AttachmentTypes.Detect("a.txt", [0x41, 0xC3, 0x28, 0x41], complete: true));
    }

    [Fact]
    public void Detect_TextCutInsideACharacter_IsStillText()
    {
        var bytes = Encoding.UTF8.GetBytes("ab€");
        Assert.Equal("text/plain", AttachmentTypes.Detect("a.txt", bytes.AsSpan(0, bytes.Length - 1), complete: false));
    }

    [Fact]
    public async Task EncodedAttachment_StopsAtTheLimit()
    {
        using var attachment = new EncodedAttachment();
        var accepted = await attachment.CopyFromAsync(new MemoryStream(new byte[1000]), maxBytes: 999, CancellationToken.None);
        Assert.False(accepted);
        Assert.True(attachment.Length <= 999);
    }

    [Fact]
    public async Task EncodedAttachment_KeepsHeadAndLength()
    {
        using var attachment = new EncodedAttachment();
        var data = Enumerable.Range(0, 2000).Select(i => (byte)i).ToArray();
        Assert.True(await attachment.CopyFromAsync(new MemoryStream(data), maxBytes: 2000, CancellationToken.None));
        Assert.Equal(2000, attachment.Length);
        Assert.Equal(data.AsSpan(0, EncodedAttachment.HeadLength).ToArray(), attachment.Head.ToArray());
        using var reader = new StreamReader(attachment.Complete(), Encoding.ASCII);
        var base64 = await reader.ReadToEndAsync();
        Assert.EndsWith("\r\n", base64, StringComparison.Ordinal);
        Assert.Equal(data, Convert.FromBase64String(base64.Replace("\r\n", string.Empty, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("a\r\nb", "a b")]
    [InlineData("  many   spaces\t\there ", "many spaces here")]
    [InlineData("x\u202Ey", "x y")]
    [InlineData(null, "")]
    public void OneLine_RemovesBreaksAndControls(string? value, string expected) =>
        Assert.Equal(expected, HeaderText.OneLine(value));

    [Fact]
    public void Body_NormalisesLineEndingsAndDropsControls() =>
        Assert.Equal("a\nb\nc\n\td", HeaderText.Body("a\r\nb\rc\u2028\td\u0000\u0007"));

    [Fact]
    public void HtmlText_BlocksBecomeLines() =>
        Assert.Equal("Title\n\nOne two\n\n- item", HtmlText.ToPlainText("<h1>Title</h1><p>One\n   two</p><ul><li>item</li></ul><style>p{}</style>"));
}
