using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Smtp;

/// <summary>
/// Messages shaped to be expensive (10,000 recipients, 50,000 MIME parts, 100,000 header lines) get a quick,
/// clear refusal at both doors: REST answers 400 with a problem detail naming the limit, SMTP a 5xx. Nothing is stored.
/// </summary>
public sealed class MessageLimitDoorTests : IAsyncLifetime
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(20);
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string, string> Shapes() => new()
    {
        { "recipients", "Too many recipients", "more than 100 recipients" },
        { "parts", "Message too complex", "more than 1000 MIME parts" },
        { "headers", "Message too complex", "more than 10000 header lines" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Rest_ExpensiveShape_Is400NamingTheLimit(string shape, string title, string detail)
    {
        using var client = _host.CreateApiClient();
        using var content = new ByteArrayContent(Build(shape));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("message/rfc822");
        var clock = Stopwatch.StartNew();
        using var response = await client.PostAsync("/api/v1/messages", content);
        clock.Stop();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(clock.Elapsed < Quick, $"The refusal took {clock.Elapsed}.");
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(_host));
    }

    [Theory]
    [InlineData("parts", "554 5.3.4 The message has more than 1000 MIME parts")]
    [InlineData("headers", "554 5.3.4 The message has more than 10000 header lines")]
    public async Task Smtp_ExpensiveShape_IsRefusedAtEndOfData(string shape, string expected)
    {
        var (client, _) = await RawSmtpClient.ConnectAsync(_host.SmtpPort);
        await using (client)
        {
            Assert.Equal(250, RawSmtpClient.Code(await client.CommandAsync("EHLO shapes.example")));
            Assert.Equal(250, RawSmtpClient.Code(await client.CommandAsync("MAIL FROM:<a@contoso.test>")));
            Assert.Equal(250, RawSmtpClient.Code(await client.CommandAsync("RCPT TO:<b@example.net>")));
            Assert.Equal(354, RawSmtpClient.Code(await client.CommandAsync("DATA")));
            var clock = Stopwatch.StartNew();
            await client.WriteAsync([.. Build(shape), .. "\r\n.\r\n"u8.ToArray()]);
            var reply = await client.ReadReplyAsync();
            clock.Stop();

            Assert.StartsWith(expected, reply, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < Quick, $"The refusal took {clock.Elapsed}.");
        }

        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(_host));
    }

    [Fact]
    public async Task Smtp_TenThousandRecipients_AreRefusedPastTheLimitWith452()
    {
        var (client, _) = await RawSmtpClient.ConnectAsync(_host.SmtpPort);
        await using (client)
        {
            Assert.Equal(250, RawSmtpClient.Code(await client.CommandAsync("EHLO shapes.example")));
            Assert.Equal(250, RawSmtpClient.Code(await client.CommandAsync("MAIL FROM:<a@contoso.test>")));
            string reply = string.Empty;
            var accepted = 0;
            for (var i = 0; i < 10_000; i++)
            {
                reply = await client.CommandAsync($"RCPT TO:<r{i}@example.net>");
                if (RawSmtpClient.Code(reply) != 250)
                {
                    break;
                }

                accepted++;
            }

            Assert.Equal(100, accepted);
            Assert.StartsWith("452 4.5.3 Too many recipients: at most 100 per message", reply, StringComparison.Ordinal);
        }
    }

    private static byte[] Build(string shape)
    {
        var text = new StringBuilder("From: a@contoso.test\r\nSubject: expensive\r\nMIME-Version: 1.0\r\n");
        switch (shape)
        {
            case "recipients":
                text.Append("To: ").AppendJoin(", ", Enumerable.Range(0, 10_000).Select(i => $"r{i}@example.net")).Append("\r\n\r\nBody\r\n");
                break;
            case "parts":
                text.Append("To: b@example.net\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
                for (var i = 0; i < 50_000; i++)
                {
                    text.Append("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
                }

                text.Append("--b--\r\n");
                break;
            default:
                text.Append("To: b@example.net\r\n");
                for (var i = 0; i < 100_000; i++)
                {
                    text.Append("X-Filler: ").Append(i).Append("\r\n");
                }

                text.Append("\r\nBody\r\n");
                break;
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
