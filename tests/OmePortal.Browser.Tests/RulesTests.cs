using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Playwright;
using MimeKit;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// A tenant admin creates the rule "subject contains [secure] ⇒ Do-Not-Forward" in the browser; through the
/// real SMTP gateway a matching message is encrypted as Do-Not-Forward and another is relayed byte for byte
/// to a real SMTP listener standing in for the smart host. The rules pages pass axe-core in English and Dutch.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RulesTests(BrowserFixture browser) : IAsyncLifetime
{
    private SmtpSink _sink = null!;
    private PortalHost _host = null!;

    public async Task InitializeAsync()
    {
        _sink = new SmtpSink();
        _host = await new PortalHost(settings: new Dictionary<string, string?>
        {
            ["OmePortal:Rules:Relay:Host"] = "127.0.0.1",
            ["OmePortal:Rules:Relay:Port"] = _sink.Port.ToString(CultureInfo.InvariantCulture),
            ["OmePortal:Rules:Relay:PinnedCertificateSha256"] = _sink.CertificateSha256,
        }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _sink.DisposeAsync();
    }

    private Task SignInAsync(IPage page) => AdminFlow.SignInNewTenantAdminAsync(page, _host);

    private static byte[] RawMessage(string subject, string to) => Encoding.ASCII.GetBytes(
        "From: \"Dr. Jansen\" <dr.jansen@contoso.test>\r\n" +
        $"To: {to}\r\n" +
        $"Subject:  {subject}\r\n" +
        "X-Odd-Header:   kept   as   is\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@contoso.test>\r\n" +
        "Date: Wed, 2 Dec 2026 03:00:00 +0000\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n" +
        "\r\n" +
        "Results attached in the portal.\r\n" +
        ".A line with a leading dot.\r\n");

    /// <summary>Submits through the gateway with a client that trusts exactly the gateway's generated certificate.</summary>
    private async Task<string> SendAsync(byte[] raw, string to)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_host.DataDirectory, "smtp-certificate.pfx"), password: null);
        var pinned = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        using var client = new SmtpClient { Timeout = 20_000 };
        client.ServerCertificateValidationCallback = (_, presented, _, _) =>
            presented is not null && string.Equals(presented.GetCertHashString(HashAlgorithmName.SHA256), pinned, StringComparison.OrdinalIgnoreCase);
        await client.ConnectAsync("127.0.0.1", _host.SmtpPort, SecureSocketOptions.StartTls);
        using var message = MimeMessage.Load(new MemoryStream(raw));
        var reply = await client.SendAsync(message, MailboxAddress.Parse("dr.jansen@contoso.test"), [MailboxAddress.Parse(to)]);
        await client.DisconnectAsync(quit: true);
        return reply;
    }

    private async Task CreateSecureRuleAsync(IPage page, string name)
    {
        await page.GotoAsync(_host.BaseUrl + "/admin/rules/new");
        await page.Locator("input[name='Input.Name']").FillAsync(name);
        await page.Locator("textarea[name='Input.SubjectWords']").FillAsync("[secure]");
        await page.Locator("#Action-Encrypt").CheckAsync();
        await page.Locator("#Protection-DoNotForward").CheckAsync();
        await page.Locator("#preview-button").ClickAsync();
        await Assertions.Expect(page.Locator("#rule-preview")).ToContainTextAsync("[secure]");
        await page.Locator("#save-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/rules$"));
    }

    [Fact]
    public async Task Admin_CreatesSecureRule_MatchingMailIsEncryptedDnfAndOtherMailRelayedUnchanged()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await SignInAsync(page);
        await CreateSecureRuleAsync(page, "Secure subject");
        await Assertions.Expect(page.Locator("[role=status]")).ToContainTextAsync("Secure subject");
        await Assertions.Expect(page.Locator("table.list")).ToContainTextAsync("do not forward");

        // Matching: encrypted with Do-Not-Forward, the recipient is notified.
        var matched = await SendAsync(RawMessage("[secure] lab results", "patient@example.org"), "patient@example.org");
        var id = Guid.ParseExact(matched.Trim().Split(' ')[^1], "N");
        using (var api = _host.CreateApiClient())
        {
            var status = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/messages/{id}")).RootElement;
            Assert.Equal("DoNotForward", status.GetProperty("protection").GetString());
        }

        var notification = MimeMessage.Load(Assert.Single(await _host.WaitForOutboxAsync(1)));
        Assert.Equal("patient@example.org", notification.To.Mailboxes.Single().Address);
        Assert.Empty(_sink.RawReceived);

        // Not matching: relayed to the smart host exactly as sent.
        var plain = RawMessage("Lunch on Friday?", "colleague@example.org");
        var relayed = await SendAsync(plain, "colleague@example.org");
        Assert.Contains("relayed", relayed, StringComparison.Ordinal);
        await _sink.WaitForAsync(1);
        var received = Assert.Single(_sink.RawReceived);
        Assert.Equal(Encoding.ASCII.GetString(plain, 0, plain.Length - 2), Encoding.ASCII.GetString(received.Data));
        Assert.Equal(["colleague@example.org"], received.To);
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task RulesPages_PassAxe(string language, string locale)
    {
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await SignInAsync(page);
        var audit = new PageAudit(page, language, PageAudit.AdminViewports);
        Task Check(string label) => audit.CurrentAsync(label);

        await page.GotoAsync(_host.BaseUrl + "/admin/rules");
        await Check("empty list");
        await page.GotoAsync(_host.BaseUrl + "/admin/rules/new");
        await Check("new rule");
        await page.Locator("textarea[name='Input.RecipientDomains']").FillAsync("not a domain");
        await page.Locator("#save-button").ClickAsync();
        await page.WaitForLoadStateAsync();
        await Check("new rule with errors");
        await page.Locator("textarea[name='Input.RecipientDomains']").FillAsync(string.Empty);
        await page.Locator("input[name='Input.Name']").FillAsync("Secure " + language);
        await page.Locator("textarea[name='Input.SubjectWords']").FillAsync("[secure]");
        await page.Locator("#preview-button").ClickAsync();
        await page.Locator("#rule-preview").WaitForAsync();
        await Check("new rule with preview");
        await page.Locator("input[type=file][name='message']").SetInputFilesAsync(new FilePayload { Name = "test.eml", MimeType = "message/rfc822", Buffer = RawMessage("[secure] x", "a@example.org") });
        await page.Locator("#test-button").ClickAsync();
        await page.Locator("#rule-decision").WaitForAsync();
        await Check("new rule tested");
        await page.Locator("#save-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/rules$"));
        await Check("list with a rule");
        await page.GotoAsync(_host.BaseUrl + "/admin/rules/test");
        await Check("tester");
        await page.Locator("input[type=file][name='message']").SetInputFilesAsync(new FilePayload { Name = "bad.eml", MimeType = "message/rfc822", Buffer = "no headers here"u8.ToArray() });
        await page.Locator("#test-button").ClickAsync();
        await page.WaitForLoadStateAsync();
        await Check("tester with an unreadable file");
        await page.Locator("input[type=file][name='message']").SetInputFilesAsync(new FilePayload { Name = "ok.eml", MimeType = "message/rfc822", Buffer = RawMessage("[secure] x", "a@example.org") });
        await page.Locator("#test-button").ClickAsync();
        await page.Locator("#rule-decision").WaitForAsync();
        await Check("tester with a result");
        await page.GotoAsync(_host.BaseUrl + "/admin/rules");
        await page.Locator("a[href$='/delete']").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/delete$"));
        await Check("delete confirmation");

        audit.AssertClean();
    }
}
