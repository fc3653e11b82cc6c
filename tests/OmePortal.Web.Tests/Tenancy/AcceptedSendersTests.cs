using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Rules;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Tests.Rules;
using OmePortal.Web.Tests.Smtp;

namespace OmePortal.Web.Tests.Tenancy;

/// <summary>
/// The sender belongs to the tenant (issue 18 item 4): REST and SMTP, encrypted and relayed, refuse a From or
/// envelope sender outside the tenant's accepted domains; a tenant without any accepts nothing, except the
/// first-run tenant in Development.
/// </summary>
public abstract class AcceptedSendersTests
{
    protected abstract StorageKind Storage { get; }

    private static Dictionary<string, string?> Accepting(params string[] domains)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < domains.Length; i++)
        {
            settings[$"OmePortal:Bootstrap:AcceptedDomains:{i}"] = domains[i];
        }

        return settings;
    }

    private static byte[] Message(string from, string to = "patient@example.org") => Encoding.UTF8.GetBytes(
        $"From: {from}\r\n" +
        $"To: {to}\r\n" +
        "Subject: Lab results\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@senders.test>\r\n" +
        "Date: Mon, 7 Dec 2026 09:00:00 +0000\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n" +
        "\r\n" +
        "Hello.\r\n");

    private static async Task<HttpResponseMessage> PostAsync(PortalHost host, byte[] mime, string? apiKey = null)
    {
        using var client = host.CreateApiClient(apiKey);
        using var content = new ByteArrayContent(mime);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var response = await client.PostAsync("/api/v1/messages", content);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task<JsonElement> AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Sender not accepted", problem.GetProperty("title").GetString());
        return problem;
    }

    private static async Task<T> DbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }

    private static async Task SetDomainsAsync(PortalHost host, Guid tenantId, params string[] domains)
    {
        await using var scope = host.Services.CreateAsyncScope();
        Assert.True(await scope.ServiceProvider.GetRequiredService<RuleStore>().SetDomainsAsync(tenantId, domains, "admin@contoso.test", CancellationToken.None));
    }

    /// <summary>A second tenant made as the system admin makes one, with an API key; answers its id and key.</summary>
    private static async Task<(Guid Id, string Key)> AddTenantAsync(PortalHost host, string slug)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantProvisioner>().Add(db, slug, slug);
        var key = ApiKeys.NewKey();
        scope.ServiceProvider.GetRequiredService<ApiKeys>().Add(tenant.Id, "test", key);
        await db.SaveChangesAsync();
        return (tenant.Id, key);
    }

    /// <summary>EHLO, MAIL FROM, RCPT TO, DATA through the real gateway; returns the reply to the end of data.</summary>
    private static async Task<string> SendSmtpAsync(PortalHost host, byte[] message, string envelopeFrom, string to = "patient@example.org")
    {
        var (client, _) = await RawSmtpClient.ConnectAsync(host.SmtpPort);
        await using (client)
        {
            await client.CommandAsync("EHLO tests.contoso.test");
            Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{envelopeFrom}>"), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{to}>"), StringComparison.Ordinal);
            Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
            await client.WriteAsync(message);
            await client.WriteAsync(".\r\n"u8.ToArray());
            var reply = await client.ReadReplyAsync();
            await client.CommandAsync("QUIT");
            return reply;
        }
    }

    [Fact]
    public async Task Rest_FromAcceptedDomainOrSubdomain_IsAccepted()
    {
        await using var host = await new PortalHost(Storage, Accepting("contoso.test", "xn--mnchen-3ya.de")).StartAsync();

        foreach (var from in new[] { "dr.jansen@contoso.test", "\"Bank\" <noreply@bank.contoso.test>", "Polis@CONTOSO.TEST", "juergen@münchen.de" })
        {
            using var response = await PostAsync(host, Message(from));
            Assert.True(HttpStatusCode.Created == response.StatusCode, $"{from}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("ceo@fabrikam.test")]
    [InlineData("ceo@evilcontoso.test")]
    [InlineData("ceo@contoso.test.fabrikam.test")]
    [InlineData("dr.jansen@contoso.test, ceo@fabrikam.test")]
    public async Task Rest_FromOutsideTheAcceptedDomains_Is400ProblemAndStoresNothing(string from)
    {
        await using var host = await new PortalHost(Storage, Accepting("contoso.test")).StartAsync();

        using var response = await PostAsync(host, Message(from));

        var problem = await AssertRefusedAsync(response);
        Assert.Contains("is not in one of this tenant's accepted domains", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(host, db => db.Messages.CountAsync()));
        Assert.Equal(0, await DbAsync(host, db => db.OutboundMails.CountAsync()));
    }

    [Fact]
    public async Task Rest_TenantWithoutAcceptedDomains_RefusesEverySenderAndSaysWhy()
    {
        await using var host = await new PortalHost(Storage, Accepting("contoso.test")).StartAsync();
        var (tenantId, key) = await AddTenantAsync(host, "fabrikam");

        using (var refused = await PostAsync(host, Message("ceo@fabrikam.test"), key))
        {
            var problem = await AssertRefusedAsync(refused);
            Assert.Equal(AcceptedSenders.NoDomainsDetail, problem.GetProperty("detail").GetString());
        }

        // The other tenant's domain is not this one's either.
        using (var borrowed = await PostAsync(host, Message("dr.jansen@contoso.test"), key))
        {
            await AssertRefusedAsync(borrowed);
        }

        await SetDomainsAsync(host, tenantId, "fabrikam.test");
        using (var accepted = await PostAsync(host, Message("ceo@fabrikam.test"), key))
        {
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        }

        using (var stillRefused = await PostAsync(host, Message("dr.jansen@contoso.test"), key))
        {
            await AssertRefusedAsync(stillRefused);
        }

        Assert.Equal(1, await DbAsync(host, db => db.Messages.CountAsync()));
    }

    [Fact]
    public async Task Rest_DevelopmentDefaultTenant_AcceptsAnySenderUntilDomainsAreSet()
    {
        // The test host runs in Development and sets no accepted domains: the README's first-run example.
        await using var host = await new PortalHost(Storage).StartAsync();
        using (var open = await PostAsync(host, Message("anyone@example.com")))
        {
            Assert.Equal(HttpStatusCode.Created, open.StatusCode);
        }

        await SetDomainsAsync(host, await RulesTestSupport.DefaultTenantAsync(host), "contoso.test");
        using (var refused = await PostAsync(host, Message("anyone@example.com")))
        {
            await AssertRefusedAsync(refused);
        }

        using (var accepted = await PostAsync(host, Message("dr.jansen@contoso.test")))
        {
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        }
    }

    [Fact]
    public async Task Rest_ProductionDefaultTenantWithoutDomains_AcceptsNothing()
    {
        var settings = new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["OmePortal:Vault:AllowKeyInDataDirectory"] = "true",
            ["OmePortal:Notifications:AllowPickupInProduction"] = "true",
        };
        await using var host = await new PortalHost(Storage, settings).StartAsync();

        using var refused = await PostAsync(host, Message("dr.jansen@contoso.test"));

        var problem = await AssertRefusedAsync(refused);
        Assert.Equal(AcceptedSenders.NoDomainsDetail, problem.GetProperty("detail").GetString());
        Assert.Equal(0, await DbAsync(host, db => db.Messages.CountAsync()));
    }

    [Fact]
    public async Task Bootstrap_AcceptedDomains_AreTheFirstTenantsAndAudited()
    {
        await using var host = await new PortalHost(Storage, Accepting("Contoso.test.", "fabrikam.test")).StartAsync();
        var tenantId = await RulesTestSupport.DefaultTenantAsync(host);

        Assert.Equal(["contoso.test", "fabrikam.test"], await DbAsync(host, db => db.TenantDomains.Where(d => d.TenantId == tenantId).OrderBy(d => d.Domain).Select(d => d.Domain).ToListAsync()));
        Assert.True(await DbAsync(host, db => db.AuditEvents.AnyAsync(a => a.TenantId == tenantId && a.Kind == AuditEventKind.TenantChanged && a.Detail == "accepted domains from configuration: contoso.test,fabrikam.test")));
    }

    [Fact]
    public async Task Bootstrap_AcceptedDomainThatIsNoDomain_FailsAtStart()
    {
        var host = new PortalHost(Storage, Accepting("contoso.test", "not a domain!"));
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
            Assert.Contains("OmePortal:Bootstrap:AcceptedDomains: 'not a domain!' is not a domain name.", failure.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task SystemAdmin_SetsAcceptedDomainsOnTheTenantPage_ATenantAdminCannot()
    {
        await using var host = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000" }).StartAsync();
        var (tenantId, key) = await AddTenantAsync(host, "fabrikam");
        var page = $"/admin/system/tenant/{tenantId}";
        Task<List<string>> DomainsAsync() => DbAsync(host, db => db.TenantDomains.Where(d => d.TenantId == tenantId).OrderBy(d => d.Domain).Select(d => d.Domain).ToListAsync());

        using var system = await AdminClient.SignInSystemAdminAsync(host);
        Assert.Contains("No accepted domains are set, so this organisation accepts no mail", await system.Http.GetStringAsync(page), StringComparison.Ordinal);

        using (var invalid = await system.PostFormAsync(page, new Dictionary<string, string> { ["AcceptedDomains"] = "fabrikam.test\nnot a domain!" }, handler: "Domains"))
        {
            Assert.Equal(HttpStatusCode.OK, invalid.StatusCode);
            var html = await invalid.Content.ReadAsStringAsync();
            Assert.Contains("Enter domain names only, like contoso.com (at most 100).", html, StringComparison.Ordinal);
            Assert.Contains("not a domain!</textarea>", html, StringComparison.Ordinal);
        }

        Assert.Empty(await DomainsAsync());
        using (var saved = await system.PostFormAsync(page, new Dictionary<string, string> { ["AcceptedDomains"] = "Fabrikam.test\r\nmail.fabrikam.test\r\n" }, handler: "Domains"))
        {
            Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
            var after = await system.Http.GetStringAsync(saved.Headers.Location!.OriginalString);
            Assert.Contains("The accepted domains are saved.", after, StringComparison.Ordinal);
            Assert.DoesNotContain("data-testid=\"no-accepted-domains\"", after, StringComparison.Ordinal);
        }

        Assert.Equal(["fabrikam.test", "mail.fabrikam.test"], await DomainsAsync());
        using (var accepted = await PostAsync(host, Message("ceo@fabrikam.test"), key))
        {
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        }

        // A tenant admin (of another tenant) cannot set them.
        using var admin = await AdminClient.SignInTenantAdminAsync(host, "default");
        var token = await admin.AntiforgeryTokenAsync("/admin");
        using (var forbidden = await admin.PostFormWithTokenAsync(page, new Dictionary<string, string> { ["AcceptedDomains"] = "evil.test" }, token, "Domains"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        Assert.Equal(["fabrikam.test", "mail.fabrikam.test"], await DomainsAsync());
    }

    [Fact]
    public async Task Smtp_FromAcceptedDomain_IsStored()
    {
        await using var host = await new PortalHost(Storage, Accepting("contoso.test")).StartAsync();

        var reply = await SendSmtpAsync(host, Message("dr.jansen@contoso.test"), "bounces@mail.contoso.test");

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.Equal(1, await DbAsync(host, db => db.Messages.CountAsync()));
    }

    [Theory]
    [InlineData("ceo@fabrikam.test", "dr.jansen@contoso.test")]
    [InlineData("dr.jansen@contoso.test", "ceo@fabrikam.test")]
    public async Task Smtp_FromHeaderOrEnvelopeOutside_Is550_5_7_1AndStoresNothing(string headerFrom, string envelopeFrom)
    {
        await using var host = await new PortalHost(Storage, Accepting("contoso.test")).StartAsync();

        var reply = await SendSmtpAsync(host, Message(headerFrom), envelopeFrom);

        Assert.StartsWith("550 5.7.1 The sender 'ceo@fabrikam.test' is not in one of this tenant's accepted domains", reply, StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(host, db => db.Messages.CountAsync()));
    }

    [Fact]
    public async Task Smtp_ProductionTenantWithoutDomains_Is550SayingWhy()
    {
        var settings = new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["OmePortal:Vault:AllowKeyInDataDirectory"] = "true",
            ["OmePortal:Notifications:AllowPickupInProduction"] = "true",
        };
        await using var host = await new PortalHost(Storage, settings).StartAsync();

        var reply = await SendSmtpAsync(host, Message("dr.jansen@contoso.test"), "dr.jansen@contoso.test");

        Assert.StartsWith("550 5.7.1 This tenant has no accepted domains", reply, StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(host, db => db.Messages.CountAsync()));
    }

    [Fact]
    public async Task Smtp_RelayPath_RefusesAnOutsideSenderAndRelaysAnAcceptedOne()
    {
        await using var sink = new SmtpSink();
        var settings = RulesTestSupport.RelayTo(sink);
        foreach (var (key, value) in Accepting("contoso.test"))
        {
            settings[key] = value;
        }

        await using var host = await new PortalHost(Storage, settings).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));

        // No rule encrypts "Lab results": it would be relayed, but the sender is not the tenant's.
        var refused = await SendSmtpAsync(host, Message("ceo@fabrikam.test"), "ceo@fabrikam.test");
        Assert.StartsWith("550 5.7.1", refused, StringComparison.Ordinal);

        var relayed = await SendSmtpAsync(host, Message("dr.jansen@contoso.test"), "dr.jansen@contoso.test");
        Assert.StartsWith("250 2.0.0 Ok: relayed", relayed, StringComparison.Ordinal);
        await sink.WaitForAsync(1);
        Assert.Equal("dr.jansen@contoso.test", Assert.Single(sink.RawReceived).From);
        Assert.Equal(0, await DbAsync(host, db => db.Messages.CountAsync()));
    }
}

public sealed class AcceptedSendersSqliteTests : AcceptedSendersTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AcceptedSendersPostgresTests : AcceptedSendersTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
