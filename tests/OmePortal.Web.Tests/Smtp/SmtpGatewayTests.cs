using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Smtp;

/// <summary>The SMTP gateway against the real portal, once per storage engine.</summary>
public abstract class SmtpGatewayTests
{
    protected abstract StorageKind Storage { get; }

    private PortalHost NewHost(IDictionary<string, string?>? settings = null) => new(Storage, settings);

    [Fact]
    public async Task Send_FromAllowedNetwork_StoresAndNotifies()
    {
        await using var host = await NewHost().StartAsync();

        // Sample 03 has To and Cc; the envelope adds a recipient that is in no header (a Bcc).
        var message = SmtpTestSupport.LoadSample("03-forwarded-rfc822-cc.eml");
        var recipients = new[] { "patient@example.org", "partner@example.org", "hidden.bcc@example.com" };
        string reply;
        using (var client = await SmtpTestSupport.ConnectAsync(host))
        {
            Assert.True(client.IsSecure);
            reply = await client.SendAsync(message, MailboxAddress.Parse("dr.jansen@contoso.test"), recipients.Select(MailboxAddress.Parse));
            await client.DisconnectAsync(quit: true);
        }

        var id = SmtpTestSupport.StoredIdFromReply(reply);
        var stored = await SmtpTestSupport.WithDbAsync(host, db => db.Messages.AsNoTracking().Include(m => m.Recipients).SingleAsync());
        Assert.Equal(id, stored.Id);
        Assert.Equal(IngestSource.Smtp, stored.Source);
        Assert.Equal(recipients.Order(StringComparer.Ordinal), stored.Recipients.Select(r => r.Address).Order(StringComparer.Ordinal));
        Assert.Equal(RecipientKind.To, stored.Recipients.Single(r => r.Address == "patient@example.org").Kind);
        Assert.Equal(RecipientKind.Cc, stored.Recipients.Single(r => r.Address == "partner@example.org").Kind);
        Assert.Equal(RecipientKind.Bcc, stored.Recipients.Single(r => r.Address == "hidden.bcc@example.com").Kind);

        var notifications = await host.WaitForOutboxAsync(recipients.Length);
        var notified = notifications.Select(f => MimeMessage.Load(f).To.Mailboxes.Single().Address).Order(StringComparer.Ordinal);
        Assert.Equal(recipients.Order(StringComparer.Ordinal), notified);
    }

    [Fact]
    public async Task Send_SameTransactionTwice_IsStoredOnce()
    {
        await using var host = await NewHost().StartAsync();
        var message = SmtpTestSupport.NewMessage("Retried by a sending server");

        using var client = await SmtpTestSupport.ConnectAsync(host);
        var first = SmtpTestSupport.StoredIdFromReply(await client.SendAsync(message));
        var second = SmtpTestSupport.StoredIdFromReply(await client.SendAsync(message));

        Assert.Equal(first, second);
        Assert.Equal(1, await SmtpTestSupport.CountMessagesAsync(host));
    }

    [Fact]
    public async Task Send_OverSizeLimit_IsRefusedWith552AndNothingStored()
    {
        const int limit = 20_000;
        await using var host = await NewHost(new Dictionary<string, string?> { ["OmePortal:Smtp:MaxMessageBytes"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture) }).StartAsync();

        // SIZE is advertised with the configured limit.
        using (var client = await SmtpTestSupport.ConnectAsync(host))
        {
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Size));
            Assert.Equal((uint)limit, client.MaxSize);
        }

        var (raw, greeting) = await RawSmtpClient.ConnectAsync(host.SmtpPort);
        await using (raw)
        {
            Assert.Equal(220, RawSmtpClient.Code(greeting));
            Assert.Equal(250, RawSmtpClient.Code(await raw.CommandAsync("EHLO tests.contoso.test")));

            // A declared size over the limit is refused at MAIL FROM.
            Assert.Equal(552, RawSmtpClient.Code(await raw.CommandAsync($"MAIL FROM:<sender@contoso.test> SIZE={limit + 1}")));

            // Undeclared, the data itself is measured at the end of DATA.
            Assert.Equal(250, RawSmtpClient.Code(await raw.CommandAsync("MAIL FROM:<sender@contoso.test>")));
            Assert.Equal(250, RawSmtpClient.Code(await raw.CommandAsync("RCPT TO:<recipient@example.net>")));
            Assert.Equal(354, RawSmtpClient.Code(await raw.CommandAsync("DATA")));
            using (var body = new MemoryStream())
            {
                SmtpTestSupport.NewMessage("Too big", approximateSize: limit * 3).WriteTo(FormatOptions.Default, body);
                await raw.WriteAsync(body.ToArray());
            }

            await raw.WriteAsync(Encoding.ASCII.GetBytes("\r\n.\r\n"));
            Assert.Equal(552, RawSmtpClient.Code(await raw.ReadReplyAsync()));
        }

        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));

        // A message under the limit still goes through: the refusals above were about size.
        using (var client = await SmtpTestSupport.ConnectAsync(host))
        {
            await client.SendAsync(SmtpTestSupport.NewMessage("Small enough", approximateSize: limit / 4));
        }

        Assert.Equal(1, await SmtpTestSupport.CountMessagesAsync(host));
    }

    [Fact]
    public async Task Send_FromUnknownNetwork_NeedsApiKeyAuthentication()
    {
        // 127.0.0.1 is not in the allowed networks: only an authenticated session may submit.
        await using var host = await NewHost(new Dictionary<string, string?> { ["OmePortal:Smtp:AllowedNetworks:0"] = "10.9.9.9/32" }).StartAsync();

        var refusal = new TranscriptLogger();
        using (var client = await SmtpTestSupport.ConnectAsync(host, logger: refusal))
        {
            // MailKit turns the 530 at MAIL FROM into ServiceNotAuthenticatedException.
            var refused = await Assert.ThrowsAsync<ServiceNotAuthenticatedException>(() => client.SendAsync(SmtpTestSupport.NewMessage("Not authenticated")));
            Assert.StartsWith("5.7.0 Authentication required", refused.Message, StringComparison.Ordinal);
        }

        Assert.Contains("S: 530 5.7.0 Authentication required", refusal.Text, StringComparison.Ordinal);

        var transcript = new TranscriptLogger();
        using (var client = await SmtpTestSupport.ConnectAsync(host, logger: transcript))
        {
            Assert.Contains("PLAIN", client.AuthenticationMechanisms);
            await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("relay", "omp_" + new string('x', 40)));
        }

        Assert.Contains("S: 535 ", transcript.Text, StringComparison.Ordinal);
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));

        string reply;
        using (var client = await SmtpTestSupport.ConnectAsync(host))
        {
            await client.AuthenticateAsync("relay", host.ApiKey);
            reply = await client.SendAsync(SmtpTestSupport.NewMessage("Authenticated with an API key"));
        }

        var id = SmtpTestSupport.StoredIdFromReply(reply);
        var (stored, tenant) = await SmtpTestSupport.WithDbAsync(host, async db =>
            (await db.Messages.AsNoTracking().SingleAsync(), await db.Tenants.AsNoTracking().SingleAsync()));
        Assert.Equal(id, stored.Id);
        Assert.Equal(tenant.Id, stored.TenantId);
    }

    [Fact]
    public async Task Send_WhenStorageFails_Answers4xxAndCommitsNothing()
    {
        await using var host = await NewHost().StartAsync();
        var message = SmtpTestSupport.NewMessage("Arrives while the disk is broken");

        // Blob writes fail while the blob folder is a regular file, or the Azure container is gone.
        await host.BreakBlobStoreAsync();

        using var client = await SmtpTestSupport.ConnectAsync(host);
        var failed = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
        Assert.InRange((int)failed.StatusCode, 400, 499);
        Assert.Equal(0, await SmtpTestSupport.CountMessagesAsync(host));

        // The sender retries the same transaction once storage is back, and it is stored once.
        await host.RestoreBlobStoreAsync();
        var reply = await client.SendAsync(message);
        Assert.Equal(SmtpTestSupport.StoredIdFromReply(reply), await SmtpTestSupport.WithDbAsync(host, db => db.Messages.Select(m => m.Id).SingleAsync()));
    }
}

public sealed class SmtpGatewaySqliteTests : SmtpGatewayTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SmtpGatewayPostgresTests : SmtpGatewayTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

public sealed class SmtpGatewayPostgresAzureBlobTests : SmtpGatewayTests
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}
