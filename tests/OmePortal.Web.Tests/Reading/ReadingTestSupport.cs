using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Reading;

/// <summary>A message as the REST intake answered: its id and each recipient's link.</summary>
internal sealed record Ingested(Guid Id, IReadOnlyDictionary<string, string> Links)
{
    public string Link => Links.Values.First();

    public string Address => Links.Keys.First();
}

internal static partial class ReadingTestSupport
{
    /// <summary>Portal settings for reading tests: the per-client sign-in limiter out of the way (several recipients sign in per test).</summary>
    public static Dictionary<string, string?> Settings => new()
    {
        ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000",
    };

    public static byte[] Sample(string name) => File.ReadAllBytes(TestEnvironment.SamplePath(name));

    public static async Task<Ingested> IngestAsync(PortalHost host, byte[] mime, string query = "")
    {
        var message = await host.IngestAsync(mime, query);
        return new Ingested(message.Id, message.Links);
    }

    public static Task<Ingested> IngestSampleAsync(PortalHost host, string sample, string query = "") =>
        IngestAsync(host, Sample(sample), query);

    /// <summary>A sample with its To header replaced (everything else as is).</summary>
    public static byte[] Readdressed(string sample, string to)
    {
        using var message = MimeMessage.Load(TestEnvironment.SamplePath(sample));
        message.To.Clear();
        message.To.Add(MailboxAddress.Parse(to));
        return TestMessages.ToBytes(message);
    }

    /// <summary>A small message to <paramref name="to"/> with a unique subject; HTML or text only.</summary>
    public static byte[] SimpleMessage(string to, string subject, string? html = null, string? text = null)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@contoso.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("contoso.test");
        message.Body = new BodyBuilder { HtmlBody = html, TextBody = text ?? (html is null ? "Hello" : null) }.ToMessageBody();
        return TestMessages.ToBytes(message);
    }

    /// <summary>The decoded bytes of the part named <paramref name="fileName"/> (or with <paramref name="contentId"/>) of a sample, via MimeKit.</summary>
    public static byte[] ExpectedPart(string sample, string? fileName = null, string? contentId = null)
    {
        using var message = MimeMessage.Load(TestEnvironment.SamplePath(sample));
        var part = message.BodyParts.OfType<MimePart>().Single(p =>
            (fileName is not null && p.FileName == fileName) || (contentId is not null && p.ContentId == contentId));
        using var buffer = new MemoryStream();
        part.Content!.DecodeTo(buffer);
        return buffer.ToArray();
    }

    public static Task<T> DbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query) => host.DbAsync(query);

    /// <summary>The attachment index of the render model entry with this file name, read from the message page's links.</summary>
    public static int AttachmentIndex(string pageHtml, Guid id, string fileName) => new MessagePage(new HtmlPage(pageHtml)).AttachmentIndex(id, fileName);

    /// <summary>The inline-image URLs (with their tickets) of a body frame document.</summary>
    public static IReadOnlyList<string> InlineUrls(string frameHtml, Guid id) => new BodyFramePage(new HtmlPage(frameHtml)).InlineUrls(id);

    public static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> GetAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, response);
    }

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues)
        : string.Empty;

    /// <summary>Cache-Control forbids storing (antiforgery may add no-cache beside it).</summary>
    public static void AssertNoStore(HttpResponseMessage response) =>
        Assert.True(response.Headers.CacheControl?.NoStore == true, $"Cache-Control: {response.Headers.CacheControl}");

    /// <summary>The page without per-response values (antiforgery tokens, CSP nonces), for comparing two refusals.</summary>
    public static string WithoutPerResponseValues(string html) => PerResponseValue().Replace(html, "$1\"\"");

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    [GeneratedRegex("((?:value|nonce)=)\"[^\"]*\"")]
    private static partial Regex PerResponseValue();
}
