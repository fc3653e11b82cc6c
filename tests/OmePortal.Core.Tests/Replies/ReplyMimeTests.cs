using MimeKit;
using OmePortal.Core.Replies;
using static OmePortal.Core.Tests.Replies.ReplyTestData;

namespace OmePortal.Core.Tests.Replies;

public sealed class ReplyMimeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(54)]
    [InlineData(57)]
    [InlineData(58)]
    [InlineData(100_003)]
    public void Serialize_SplicedAttachments_AreByteForByteWhatMimeKitWrites(int size)
    {
        var original = Original();
        var raw = new byte[size];
        new Random(size).NextBytes(raw);
        var message = ReplyBuilder.Build(
            Planned(original, ReplyMode.Reply), original, "text", ReplyTexts.English,
            [new ReplyAttachment("a.bin", "application/octet-stream", new MemoryStream(raw)), Attachment("b.txt", "second")],
            Now, "portal.example.test");

        using var expected = new MemoryStream();
        message.WriteTo(ReplyMime.Format, expected);

        // The same message with its first attachment already encoded in memory, as the portal holds uploads.
        using var encoded = new EncodedAttachment();
        encoded.Write(raw);
        var part = (MimePart)message.Attachments.First();
        part.Content = new MimeContent(encoded.Complete(), ContentEncoding.Base64);

        using var spliced = ReplyMime.Serialize(message);
        Assert.True(spliced.CanSeek);
        using var actual = new MemoryStream();
        spliced.CopyTo(actual);
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    [Fact]
    public void Serialize_IsSeekableAndParsesInPlace()
    {
        var original = Original();
        using var first = new EncodedAttachment();
        first.Write(new byte[5000]);
        using var second = new EncodedAttachment();
        second.Write("second file"u8);
        var message = ReplyBuilder.Build(
            Planned(original, ReplyMode.Reply), original, "text", ReplyTexts.English,
            [
                new ReplyAttachment("zeros.bin", "application/octet-stream", first.Complete(), ContentIsBase64: true),
                new ReplyAttachment("second.txt", "text/plain", second.Complete(), ContentIsBase64: true),
            ],
            Now, "portal.example.test");

        using var stream = ReplyMime.Serialize(message);
        stream.Position = stream.Length / 2;
        stream.Position = 0;
        var parser = new MimeParser(stream, persistent: true);
        var parsed = parser.ParseMessage();
        var names = parsed.Attachments.OfType<MimePart>().Select(p => p.FileName).ToList();
        Assert.Equal(["zeros.bin", "second.txt"], names);
        using var decoded = new MemoryStream();
        ((MimePart)parsed.Attachments.Last()).Content!.DecodeTo(decoded);
        Assert.Equal("second file"u8.ToArray(), decoded.ToArray());
    }

    [Fact]
    public void Serialize_LeavesTheMessageAsItWas()
    {
        var original = Original();
        using var encoded = new EncodedAttachment();
        encoded.Write("abc"u8);
        var content = encoded.Complete();
        var message = ReplyBuilder.Build(
            Planned(original, ReplyMode.Reply), original, "text", ReplyTexts.English,
            [new ReplyAttachment("a.txt", "text/plain", content, ContentIsBase64: true)], Now, "portal.example.test");
        var part = (MimePart)message.Attachments.Single();
        var before = part.Content;

        using (ReplyMime.Serialize(message))
        {
        }

        Assert.Same(before, part.Content);
    }
}
