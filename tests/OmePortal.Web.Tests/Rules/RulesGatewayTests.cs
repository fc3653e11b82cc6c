using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;
using OmePortal.Testing;
using OmePortal.Web.Tests.Smtp;

namespace OmePortal.Web.Tests.Rules;

/// <summary>Mail-flow rules applied by the real SMTP gateway (relaying to a real SMTP listener) and the REST API.</summary>
public abstract class RulesGatewayTests
{
    protected abstract StorageKind Storage { get; }

    /// <summary>Sends raw bytes through the gateway (EHLO, MAIL, RCPT, DATA) and returns the reply to the data.</summary>
    private static async Task<string> SendRawAsync(PortalHost host, byte[] message, string from, params string[] to)
    {
        var (client, _) = await RawSmtpClient.ConnectAsync(host.SmtpPort);
        await using (client)
        {
            await client.CommandAsync("EHLO tests.contoso.test");
            Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{from}>"), StringComparison.Ordinal);
            foreach (var recipient in to)
            {
                Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{recipient}>"), StringComparison.Ordinal);
            }

            Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
            await client.WriteAsync(DotStuff(message));
            await client.WriteAsync(".\r\n"u8.ToArray());
            var reply = await client.ReadReplyAsync();
            await client.CommandAsync("QUIT");
            return reply;
        }
    }

    private static byte[] DotStuff(byte[] message)
    {
        var text = Encoding.ASCII.GetString(message);
        return Encoding.ASCII.GetBytes(text.StartsWith('.') ? "." + text.Replace("\r\n.", "\r\n..", StringComparison.Ordinal) : text.Replace("\r\n.", "\r\n..", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Smtp_MatchingSecureSubject_IsEncryptedDoNotForwardAndRecipientNotified()
    {
        await using var sink = new SmtpSink();
        await using var host = await new PortalHost(Storage, RulesTestSupport.RelayTo(sink)).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward, expiryDays: 14));

        var reply = await SendRawAsync(host, RulesTestSupport.RawMessage("Re: [secure] lab results"), "dr.jansen@contoso.test", "patient@example.org");

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var stored = await RulesTestSupport.WithDbAsync(host, db => db.Messages.AsNoTracking().SingleAsync());
        Assert.Equal(ProtectionLevel.DoNotForward, stored.Protection);
        Assert.NotNull(stored.ExpiresAt);
        Assert.InRange(stored.ExpiresAt!.Value - stored.ReceivedAt, TimeSpan.FromDays(14) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(14) + TimeSpan.FromMinutes(1));
        var notification = MimeMessage.Load(Assert.Single(await host.WaitForOutboxAsync(1)));
        Assert.Equal("patient@example.org", notification.To.Mailboxes.Single().Address);
        Assert.Empty(sink.RawReceived);
    }

    [Fact]
    public async Task Smtp_NoRuleMatches_IsRelayedByteIdenticalAndNotStored()
    {
        await using var sink = new SmtpSink();
        await using var host = await new PortalHost(Storage, RulesTestSupport.RelayTo(sink)).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        var message = RulesTestSupport.RawMessage("Lunch on Friday?");

        var reply = await SendRawAsync(host, message, "dr.jansen@contoso.test", "patient@example.org", "hidden@example.net");

        Assert.StartsWith("250 2.0.0 Ok: relayed", reply, StringComparison.Ordinal);
        await sink.WaitForAsync(1);
        var relayed = Assert.Single(sink.RawReceived);
        Assert.Equal("dr.jansen@contoso.test", relayed.From);
        Assert.Equal(["patient@example.org", "hidden@example.net"], relayed.To);

        // The sink, like the gateway, gets the DATA content without the CRLF that ends the last line.
        Assert.Equal(Encoding.ASCII.GetString(message, 0, message.Length - 2), Encoding.ASCII.GetString(relayed.Data));
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));
        Assert.False(Directory.Exists(host.OutboxDirectory) && Directory.GetFiles(host.OutboxDirectory, "*.eml").Length > 0);
    }

    [Fact]
    public async Task Smtp_SmartHostRefuses_Answers4xxAndStoresNothing()
    {
        await using var sink = new SmtpSink { Refuse = true };
        await using var host = await new PortalHost(Storage, RulesTestSupport.RelayTo(sink)).StartAsync();

        var reply = await SendRawAsync(host, RulesTestSupport.RawMessage("Lunch"), "dr.jansen@contoso.test", "patient@example.org");

        Assert.StartsWith("451 4.4.1", reply, StringComparison.Ordinal);
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));
    }

    [Fact]
    public async Task Smtp_SmartHostUnreachable_Answers4xx()
    {
        var closedPort = TestEnvironment.FreePort();
        await using var host = await new PortalHost(Storage, new Dictionary<string, string?>
        {
            ["OmePortal:Rules:Relay:Host"] = "127.0.0.1",
            ["OmePortal:Rules:Relay:Port"] = closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OmePortal:Rules:Relay:Timeout"] = "00:00:05",
        }).StartAsync();

        var reply = await SendRawAsync(host, RulesTestSupport.RawMessage("Lunch"), "dr.jansen@contoso.test", "patient@example.org");

        Assert.StartsWith("451", reply, StringComparison.Ordinal);
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));
    }

    [Fact]
    public async Task Smtp_DoNotEncryptWinsOverEarlierEncrypt_IsRelayed()
    {
        await using var sink = new SmtpSink();
        await using var host = await new PortalHost(Storage, RulesTestSupport.RelayTo(sink)).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        await RulesTestSupport.AddRuleAsync(host, "Partner is trusted", new RuleConditions { RecipientDomains = ["partner.test"] }, RuleAction.DoNotEncrypt);

        var reply = await SendRawAsync(host, RulesTestSupport.RawMessage("[secure] contract", "legal@partner.test"), "dr.jansen@contoso.test", "legal@partner.test");

        Assert.StartsWith("250 2.0.0 Ok: relayed", reply, StringComparison.Ordinal);
        await sink.WaitForAsync(1);
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));
    }

    [Fact]
    public async Task Smtp_SensitiveInformation_IsEncrypted()
    {
        await using var sink = new SmtpSink();
        await using var host = await new PortalHost(Storage, RulesTestSupport.RelayTo(sink)).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "BSN", new RuleConditions { SensitiveInformation = [new(SensitiveInformationKind.DutchBsn, 1)] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));

        var message = SmtpTestSupport.NewMessage("Intake form");
        message.Body = new TextPart("plain") { Text = "Patient BSN 111222333, please file." };
        using var client = await SmtpTestSupport.ConnectAsync(host);
        SmtpTestSupport.StoredIdFromReply(await client.SendAsync(message));

        Assert.Equal(1, await SmtpTestSupport.CountMessagesAsync(host));
        Assert.Empty(sink.RawReceived);
    }

    [Fact]
    public async Task Smtp_NoRelayConfigured_EncryptsWithTenantDefault()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        var reply = await SendRawAsync(host, RulesTestSupport.RawMessage("Lunch"), "dr.jansen@contoso.test", "patient@example.org");

        SmtpTestSupport.StoredIdFromReply(reply);
        var stored = await RulesTestSupport.WithDbAsync(host, db => db.Messages.AsNoTracking().SingleAsync());
        Assert.Equal(ProtectionLevel.EncryptOnly, stored.Protection);
    }

    [Fact]
    public async Task Smtp_BrokenStoredRule_FailsClosedAndEncrypts()
    {
        await using var sink = new SmtpSink();
        await using var host = await new PortalHost(Storage, RulesTestSupport.RelayTo(sink)).StartAsync();
        var id = await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        await RulesTestSupport.WithDbAsync(host, async db =>
        {
            var record = await db.MailFlowRules.SingleAsync(r => r.Id == id);
            record.ConditionsJson = "{\"subjectWords\":42}";
            return await db.SaveChangesAsync();
        });

        var reply = await SendRawAsync(host, RulesTestSupport.RawMessage("Lunch"), "dr.jansen@contoso.test", "patient@example.org");

        SmtpTestSupport.StoredIdFromReply(reply);
        Assert.Empty(sink.RawReceived);
    }

    private static async Task<JsonElement> PostAsync(PortalHost host, byte[] message, string query = "")
    {
        using var response = await host.PostMessageAsync(message, query);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Rest_MatchingRuleWithoutExplicitProtection_AppliesTheRule()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward, expiryDays: 3));

        var created = await PostAsync(host, RulesTestSupport.RawMessage("[secure] results"));

        Assert.Equal("DoNotForward", created.GetProperty("protection").GetString());
        Assert.Equal(JsonValueKind.String, created.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task Rest_ExplicitProtection_SkipsTheRules()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward, expiryDays: 3));

        var created = await PostAsync(host, RulesTestSupport.RawMessage("[secure] results"), "?protection=EncryptOnly");

        Assert.Equal("EncryptOnly", created.GetProperty("protection").GetString());
    }

    [Fact]
    public async Task Rest_ExplicitExpiry_WinsOverTheRulesExpiry()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward, expiryDays: 3));

        var created = await PostAsync(host, RulesTestSupport.RawMessage("[secure] results"), "?expiresInDays=0");

        Assert.Equal("DoNotForward", created.GetProperty("protection").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task Rest_NoRuleOrDoNotEncrypt_StillEncryptsWithTenantDefault()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Everything exempt", new RuleConditions(), RuleAction.DoNotEncrypt);

        var created = await PostAsync(host, RulesTestSupport.RawMessage("[secure] results"));

        Assert.Equal("EncryptOnly", created.GetProperty("protection").GetString());
        Assert.Equal(1, await SmtpTestSupport.CountMessagesAsync(host));
    }
}

public sealed class RulesGatewaySqliteTests : RulesGatewayTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class RulesGatewayPostgresTests : RulesGatewayTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
