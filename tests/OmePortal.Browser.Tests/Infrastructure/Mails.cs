using System.Security.Cryptography;
using MimeKit;
using MimeKit.Utils;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>Messages the browser tests send in through the API.</summary>
public static class Mails
{
    public const string Sender = "sender@contoso.test";

    /// <summary>A 16×8 PNG (opaque blue); small, but its natural size proves it decoded.</summary>
    public static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAABAAAAAICAIAAAB/FOjAAAAAEklEQVR4nGNgqLhCGhrVQAsNALbqpgGDk3wFAAAAAElFTkSuQmCC");

    /// <summary>
    /// An HTML message with an inline image (cid:) and one attachment (<paramref name="attachment"/>,
    /// named <paramref name="attachmentName"/>), from <see cref="Sender"/> to <paramref name="to"/>.
    /// </summary>
    public static MimeMessage WithInlineImageAndAttachment(string to, string marker, byte[] attachment, string attachmentName = "report.pdf", string subject = "Your policy documents")
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Contoso Insurance", Sender));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = MimeUtils.GenerateMessageId("contoso.test");
        message.Date = DateTimeOffset.UtcNow;
        var builder = new BodyBuilder { TextBody = $"Dear customer,\n{marker}\n" };
        var logo = builder.LinkedResources.Add("logo.png", Png, new ContentType("image", "png"));
        logo.ContentId = MimeUtils.GenerateMessageId("contoso.test");
        builder.HtmlBody =
            $"<p>Dear customer,</p><p class=\"marker\">{marker}</p><p><img id=\"logo\" src=\"cid:{logo.ContentId}\" alt=\"Contoso logo\" width=\"16\" height=\"8\"></p>";
        builder.Attachments.Add(attachmentName, attachment, new ContentType("application", "pdf"));
        message.Body = builder.ToMessageBody();
        return message;
    }

    /// <summary>Bytes that look like a PDF to a content sniffer, and are otherwise random.</summary>
    public static byte[] PdfLike(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        "%PDF-1.7\n"u8.CopyTo(bytes);
        return bytes;
    }
}
