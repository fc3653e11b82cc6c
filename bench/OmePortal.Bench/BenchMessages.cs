using System.Text;
using MimeKit;

namespace OmePortal.Bench;

public static class BenchMessages
{
    /// <summary>A realistic ~20 KB message: text and HTML alternatives of business prose, one recipient.</summary>
    public static byte[] Twenty(int sequence)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Contoso Finance", "finance@contoso.test"));
        message.To.Add(new MailboxAddress("Jan de Vries", "jan.devries@example.nl"));
        message.Subject = $"Statement {sequence}";
        message.MessageId = $"bench-{sequence}-{Guid.NewGuid():N}@contoso.test";
        var paragraph = "Dear customer, please find below the details of your account for the current period. ";
        var text = new StringBuilder();
        var html = new StringBuilder("<html><body><table>");
        while (text.Length < 7000)
        {
            text.Append(paragraph).Append(sequence).Append('\n');
            html.Append("<tr><td style=\"color:#333\">").Append(paragraph).Append("</td><td><b>").Append(sequence).Append("</b></td></tr>");
        }

        html.Append("</table></body></html>");
        message.Body = new BodyBuilder { TextBody = text.ToString(), HtmlBody = html.ToString() }.ToMessageBody();
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>A message of about <paramref name="size"/> bytes, mostly one base64 PDF-like attachment.</summary>
    public static byte[] Large(int size)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Contoso", "archive@contoso.test"));
        message.To.Add(new MailboxAddress("Jan", "jan@example.nl"));
        message.Subject = "Large attachment";
        var body = new BodyBuilder { TextBody = "See the attachment." };
        var payload = new byte[size * 3 / 4];
        new Random(1).NextBytes(payload);
        body.Attachments.Add("archive.pdf", payload, new ContentType("application", "pdf"));
        message.Body = body.ToMessageBody();
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        return buffer.ToArray();
    }
}
