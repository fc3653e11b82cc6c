using System.Text;
using MimeKit;

namespace OmePortal.Testing;

public static class TestMessages
{
    /// <summary>A multipart message whose subject, HTML body, text body and attachment each carry their own marker.</summary>
    public static MimeMessage WithMarkers(string subjectMarker, string htmlMarker, string textMarker, string attachmentMarker, params string[] to)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@contoso.test"));
        foreach (var address in to.Length == 0 ? ["recipient@example.nl"] : to)
        {
            message.To.Add(MailboxAddress.Parse(address));
        }

        message.Subject = $"Quarterly figures {subjectMarker}";
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("contoso.test");
        var body = new BodyBuilder
        {
            TextBody = $"Hello,\nthe figures: {textMarker}\n",
            HtmlBody = $"<p>Hello,</p><p>the figures: <b>{htmlMarker}</b></p>",
        };
        // 7bit so that a plaintext copy anywhere would show the marker as is.
        var attachment = new MimePart("text", "plain")
        {
            Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes($"confidential {attachmentMarker}\n"))),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = "figures.txt" },
            ContentTransferEncoding = ContentEncoding.SevenBit,
        };
        body.Attachments.Add(attachment);
        message.Body = body.ToMessageBody();
        return message;
    }

    public static byte[] ToBytes(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(FormatOptions.Default, buffer);
        return buffer.ToArray();
    }

    public static string NewMarker(string prefix) => $"{prefix}{Guid.NewGuid():N}";
}
