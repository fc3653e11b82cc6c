using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Notifications;

/// <summary>Notification mail end to end: content and links from the pickup directory, and real SMTP delivery to a smart host.</summary>
public abstract class NotificationDeliveryTests
{
    protected abstract StorageKind Storage { get; }

    private static async Task<JsonElement> PostAsync(PortalHost host, string sample, string query = "")
    {
        using var response = await host.PostMessageAsync(PortalIngest.Sample(sample), query);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Ingest_WritesBrandedNotificationPerRecipient_WithWorkingLink()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        var created = await PostAsync(host, "03-forwarded-rfc822-cc.eml", "?expiresInDays=30");
        var recipients = created.GetProperty("recipients").EnumerateArray()
            .ToDictionary(r => r.GetProperty("address").GetString()!, r => r.GetProperty("link").GetString()!);

        var files = await host.WaitForOutboxAsync(recipients.Count);
        Assert.Equal(recipients.Count, files.Length);
        var brand = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "branding", "default", "brand.json"))).RootElement;
        var english = brand.GetProperty("texts").GetProperty("en");

        foreach (var file in files)
        {
            var mail = await MimeMessage.LoadAsync(file);
            var to = mail.To.Mailboxes.Single().Address;
            var link = recipients[to];

            Assert.Contains(link, mail.HtmlBody, StringComparison.Ordinal);
            Assert.Contains(link, mail.TextBody, StringComparison.Ordinal);
            Assert.Contains(english.GetProperty("readButtonText").GetString()!, mail.HtmlBody, StringComparison.Ordinal);
            // The notification names the sender as the original's From does, but never carries the protected subject.
            Assert.StartsWith("Dr. Jansen has sent you a protected message", mail.Subject, StringComparison.Ordinal);
            Assert.Contains("Dr. Jansen (dr.jansen@contoso.test)", mail.TextBody, StringComparison.Ordinal);
            Assert.DoesNotContain("bloedonderzoek", mail.Subject, StringComparison.OrdinalIgnoreCase);

            var page = mail.Attachments.OfType<MimePart>().Single(a => a.FileName == "message.html");
            using var pageText = new MemoryStream();
            await page.Content!.DecodeToAsync(pageText);
            Assert.Contains(link, System.Text.Encoding.UTF8.GetString(pageText.ToArray()), StringComparison.Ordinal);

            // The link is a working URL of this portal.
            using var client = host.CreateHttpClient();
            using var response = await client.GetAsync(new Uri(link));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.CacheControl?.NoStore);
        }

        // Nothing that identifies the link remains once the mail has left.
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var mails = await db.OutboundMails.AsNoTracking().ToListAsync();
        Assert.All(mails, m => Assert.Equal(OutboundMailStatus.Sent, m.Status));
        Assert.All(mails, m => Assert.Null(m.SealedPayload));
    }

    [Fact]
    public async Task Link_UnknownOrMalformedToken_Returns404()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var client = host.CreateHttpClient();
        // ("%2e%2e" is no case: the server normalises /m/.. to /, the landing page.)
        foreach (var token in new[] { new string('A', 43), "short", "%2e", "A%2fB" })
        {
            using var response = await client.GetAsync($"/m/{token}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task SmartHost_ReceivesNotificationOverStartTls()
    {
        await using var sink = new SmtpSink();
        await using var host = await new PortalHost(Storage, sink.SmartHostSettings()).StartAsync();
        var created = await PostAsync(host, "02-plain-latin9-card-number.eml");
        var link = created.GetProperty("recipients")[0].GetProperty("link").GetString()!;

        var received = await sink.WaitForAsync(1);
        Assert.Contains(link, received[0].HtmlBody, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(host.OutboxDirectory) ? Directory.GetFiles(host.OutboxDirectory) : []);
    }

    [Fact]
    public async Task SmartHost_WithoutStartTls_IsNotUsedUnlessAllowed()
    {
        // A relay that offers no STARTTLS: a plain SmtpServer endpoint without certificate.
        var port = TestEnvironment.FreePort();
        using var stop = new CancellationTokenSource();
        var options = new SmtpServer.SmtpServerOptionsBuilder().ServerName("plain").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, port))).Build();
        var server = new SmtpServer.SmtpServer(options, SmtpServer.ComponentModel.ServiceProvider.Default);
        var running = server.StartAsync(stop.Token);

        await using var host = await new PortalHost(Storage, new Dictionary<string, string?>
        {
            ["OmePortal:Notifications:Delivery"] = "SmartHost",
            ["OmePortal:Notifications:SmartHost:Host"] = "127.0.0.1",
            ["OmePortal:Notifications:SmartHost:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).StartAsync();
        await PostAsync(host, "02-plain-latin9-card-number.eml");

        var mail = await WaitForMailAsync(host, m => m.Attempts >= 1);
        Assert.Equal(OutboundMailStatus.Pending, mail.Status);
        Assert.Contains("TLS", mail.LastError, StringComparison.OrdinalIgnoreCase);
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task SmartHost_Down_RetriesWithBackoff_ThenDelivers()
    {
        await using var sink = new SmtpSink { Refuse = true };
        await using var host = await new PortalHost(Storage, sink.SmartHostSettings()).StartAsync();
        await PostAsync(host, "02-plain-latin9-card-number.eml");

        var failed = await WaitForMailAsync(host, m => m.Attempts >= 2);
        Assert.Equal(OutboundMailStatus.Pending, failed.Status);
        Assert.NotNull(failed.LastError);
        Assert.True(failed.NextAttemptAt > failed.CreatedAt);
        Assert.Empty(sink.Received);

        sink.Refuse = false;
        await sink.WaitForAsync(1);
        var sent = await WaitForMailAsync(host, m => m.Status == OutboundMailStatus.Sent);
        Assert.Null(sent.SealedPayload);
    }

    [Fact]
    public async Task PendingNotification_SurvivesRestart()
    {
        var data = TestEnvironment.NewTempDirectory("omeportal-restart");
        var relayPort = TestEnvironment.FreePort();
        string? postgres = null;
        var settings = new Dictionary<string, string?>
        {
            ["OmePortal:Notifications:Delivery"] = "SmartHost",
            ["OmePortal:Notifications:SmartHost:Host"] = "127.0.0.1",
            ["OmePortal:Notifications:SmartHost:Port"] = relayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OmePortal:Notifications:SmartHost:Timeout"] = "00:00:02",
        };

        // First life: the relay is down (nothing listens on its port), so the mail stays queued.
        var first = new PortalHost(Storage, settings, data);
        await first.StartAsync();
        if (Storage == StorageKind.Postgres)
        {
            postgres = first.PostgresConnectionString;
        }

        await PostAsync(first, "02-plain-latin9-card-number.eml");
        await WaitForMailAsync(first, m => m.Attempts >= 1);
        await StopWithoutCleanupAsync(first);

        // Second life on the same data: the relay is up now and the queued mail goes out.
        await using var sink = new SmtpSink(relayPort);
        var secondSettings = new Dictionary<string, string?>(settings)
        {
            ["OmePortal:Notifications:SmartHost:PinnedCertificateSha256"] = sink.CertificateSha256,
        };
        if (postgres is not null)
        {
            secondSettings["OmePortal:Database:Provider"] = "Postgres";
            secondSettings["OmePortal:Database:ConnectionString"] = postgres;
        }

        await using var second = await new PortalHost(StorageKind.Sqlite, secondSettings, data).StartAsync();
        var received = await sink.WaitForAsync(1, TimeSpan.FromSeconds(30));
        Assert.Single(received);
    }

    private static async Task StopWithoutCleanupAsync(PortalHost host)
    {
        // Stop the server but keep the data directory and database for the next life.
        await host.StopKeepingDataAsync();
    }

    private static async Task<OutboundMailRecord> WaitForMailAsync(PortalHost host, Func<OutboundMailRecord, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
                var mail = (await db.OutboundMails.AsNoTracking().ToListAsync()).FirstOrDefault(condition);
                if (mail is not null)
                {
                    return mail;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The outbound mail never reached the expected state.");
            }

            await Task.Delay(100);
        }
    }
}

public sealed class NotificationDeliverySqliteTests : NotificationDeliveryTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class NotificationDeliveryPostgresTests : NotificationDeliveryTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
