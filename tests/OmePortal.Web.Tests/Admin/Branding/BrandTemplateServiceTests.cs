using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin.Branding;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Admin.Branding;

/// <summary>
/// The template service against a real portal and database: tenant scoping, the default template's
/// protection, removal keeping old messages readable, and an edited template reaching the mail and link page.
/// </summary>
public abstract class BrandTemplateServiceTests : IAsyncLifetime
{
    private const string Actor = "admin@contoso.test";
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<T> WithServiceAsync<T>(Func<BrandTemplateService, Task<T>> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<BrandTemplateService>());
    }

    private Task<Guid> FirstTenantAsync() => DbAsync(_host, db => db.Tenants.OrderBy(t => t.CreatedAt).Select(t => t.Id).FirstAsync());

    private Task<Guid> DefaultTemplateAsync(Guid tenantId) =>
        DbAsync(_host, db => db.BrandTemplates.Where(t => t.TenantId == tenantId && t.IsDefault).Select(t => t.Id).SingleAsync());

    private static BrandTemplate Sample(string name, string portalText = "Contoso secure portal") => new()
    {
        Name = name,
        BackgroundColor = "#123456",
        Texts = new Dictionary<string, BrandTexts>
        {
            ["en"] = new() { PortalText = portalText, IntroductionText = "{sender} sent you something from Contoso." },
            ["nl"] = new() { PortalText = portalText + " (nl)" },
        },
    };

    [Fact]
    public async Task Remove_DefaultTemplate_Refused()
    {
        var tenant = await FirstTenantAsync();
        var id = await DefaultTemplateAsync(tenant);
        var outcome = await WithServiceAsync(s => s.RemoveAsync(tenant, Actor, id, CancellationToken.None));
        Assert.IsType<BrandTemplateChange.DefaultCannotBeRemoved>(outcome);
        Assert.True(await DbAsync(_host, db => db.BrandTemplates.AnyAsync(t => t.Id == id)));
    }

    [Fact]
    public async Task OtherTenantsTemplate_NotFoundForReadChangeAndRemove()
    {
        var tenantA = await FirstTenantAsync();
        var tenantB = await BrandingTestSupport.AddTenantAsync(_host, "tenant-b");
        var created = Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.CreateAsync(tenantB, Actor, Sample("B only"), null, CancellationToken.None)));
        var defaultOfB = await DefaultTemplateAsync(tenantB);

        foreach (var id in new[] { created.Id, defaultOfB })
        {
            Assert.Null(await WithServiceAsync(s => s.GetAsync(tenantA, id, CancellationToken.None)));
            Assert.Null(await WithServiceAsync(s => s.LogoAsync(tenantA, id, CancellationToken.None)));
            Assert.IsType<BrandTemplateChange.NotFound>(await WithServiceAsync(s => s.UpdateAsync(tenantA, Actor, id, Sample("Taken over"), new LogoChange.Keep(), CancellationToken.None)));
            Assert.IsType<BrandTemplateChange.NotFound>(await WithServiceAsync(s => s.RemoveAsync(tenantA, Actor, id, CancellationToken.None)));
        }

        var listOfA = await WithServiceAsync(s => s.ListAsync(tenantA, CancellationToken.None));
        Assert.DoesNotContain(listOfA, t => t.Id == created.Id || t.Id == defaultOfB);
        Assert.Equal("B only", (await WithServiceAsync(s => s.GetAsync(tenantB, created.Id, CancellationToken.None)))!.Brand.Name);
    }

    [Fact]
    public async Task Create_NameOfAnotherTemplateInAnyCase_NameTaken()
    {
        var tenant = await FirstTenantAsync();
        Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.CreateAsync(tenant, Actor, Sample("Legal"), null, CancellationToken.None)));
        Assert.IsType<BrandTemplateChange.NameTaken>(await WithServiceAsync(s => s.CreateAsync(tenant, Actor, Sample("LEGAL"), null, CancellationToken.None)));
        Assert.IsType<BrandTemplateChange.NameTaken>(await WithServiceAsync(s => s.CreateAsync(tenant, Actor, Sample("default"), null, CancellationToken.None)));

        // The same name in another tenant is fine.
        var other = await BrandingTestSupport.AddTenantAsync(_host, "tenant-c");
        Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.CreateAsync(other, Actor, Sample("Legal"), null, CancellationToken.None)));
    }

    [Fact]
    public async Task Create_InvalidFields_RefusedWithTheFields()
    {
        var tenant = await FirstTenantAsync();
        var brand = Sample("Bad") with
        {
            PrivacyStatementUrl = "http://contoso.test/privacy",
            ExpiryDays = 731,
            Texts = new Dictionary<string, BrandTexts> { ["en"] = new() { PortalText = new string('x', BrandLimits.MaxPortalTextLength + 1) } },
        };
        var invalid = Assert.IsType<BrandTemplateChange.Invalid>(await WithServiceAsync(s => s.CreateAsync(tenant, Actor, brand, null, CancellationToken.None)));
        Assert.Equal(["expiryDays", "privacyStatementUrl", "texts.en.portalText"], invalid.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UpdateAndRename_StoredAndAudited()
    {
        var tenant = await FirstTenantAsync();
        var created = Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.CreateAsync(tenant, Actor, Sample("Finance"), new BrandLogo(LogoImages.Png(), BrandLogo.Png), CancellationToken.None)));
        Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.UpdateAsync(tenant, Actor, created.Id, Sample("Finance EU", "Renamed portal"), new LogoChange.Keep(), CancellationToken.None)));

        var stored = (await WithServiceAsync(s => s.GetAsync(tenant, created.Id, CancellationToken.None)))!;
        Assert.Equal("Finance EU", stored.Brand.Name);
        Assert.Equal("Renamed portal", stored.Brand.TextsFor("en").PortalText);
        Assert.NotNull(stored.Brand.Logo);
        Assert.Equal("Finance EU", await DbAsync(_host, db => db.BrandTemplates.Where(t => t.Id == created.Id).Select(t => t.Name).SingleAsync()));

        Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.UpdateAsync(tenant, Actor, created.Id, Sample("Finance EU"), new LogoChange.Remove(), CancellationToken.None)));
        Assert.Null((await WithServiceAsync(s => s.GetAsync(tenant, created.Id, CancellationToken.None)))!.Brand.Logo);

        var events = await DbAsync(_host, db => db.AuditEvents.Where(e => e.TenantId == tenant && e.Kind == AuditEventKind.TemplateChanged).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal(Actor, e.Actor));
        Assert.Contains("created", events[0].Detail);
        Assert.Contains("renamed 'Finance EU'", events[1].Detail);
    }

    [Fact]
    public async Task Remove_TemplateARuleEncryptsWith_RefusedUntilTheRuleIsGone()
    {
        var tenant = await FirstTenantAsync();
        var created = Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.CreateAsync(tenant, Actor, Sample("Ruled"), null, CancellationToken.None)));
        var ruleId = Guid.NewGuid();
        await DbAsync(_host, async db =>
        {
            db.MailFlowRules.Add(new MailFlowRuleRecord
            {
                Id = ruleId,
                TenantId = tenant,
                Name = "Secure subject",
                Priority = 10,
                Enabled = true,
                ConditionsJson = "{}",
                ActionJson = $"{{\"kind\":\"Encrypt\",\"templateId\":\"{created.Id:D}\"}}",
                UpdatedAt = DateTimeOffset.UtcNow,
            });
            return await db.SaveChangesAsync();
        });

        Assert.IsType<BrandTemplateChange.InUseByRules>(await WithServiceAsync(s => s.RemoveAsync(tenant, Actor, created.Id, CancellationToken.None)));
        await DbAsync(_host, db => db.MailFlowRules.Where(r => r.Id == ruleId).ExecuteDeleteAsync());
        Assert.IsType<BrandTemplateChange.Removed>(await WithServiceAsync(s => s.RemoveAsync(tenant, Actor, created.Id, CancellationToken.None)));
    }

    [Fact]
    public async Task Remove_TemplateUsedByAMessage_MessageMovedToDefaultAndStillReadable()
    {
        var tenant = await FirstTenantAsync();
        var created = Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.CreateAsync(tenant, Actor, Sample("Campaign", "Campaign portal"), null, CancellationToken.None)));
        var message = await IngestAsync(_host, SimpleMessage("ann@example.nl", "Hello"), "?template=Campaign");

        using var client = _host.CreateHttpClient();
        var before = await client.GetStringAsync(new Uri(message.Link).PathAndQuery);
        Assert.Contains("Campaign portal", before, StringComparison.Ordinal);

        var removed = Assert.IsType<BrandTemplateChange.Removed>(await WithServiceAsync(s => s.RemoveAsync(tenant, Actor, created.Id, CancellationToken.None)));
        Assert.Equal(1, removed.MessagesMoved);
        Assert.Equal(await DefaultTemplateAsync(tenant), await DbAsync(_host, db => db.Messages.Where(m => m.Id == message.Id).Select(m => m.TemplateId).SingleAsync()));

        using var after = await client.GetAsync(new Uri(message.Link).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.DoesNotContain("Campaign portal", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EditedDefaultTemplate_ShownInTheNotificationMailAndOnTheLinkPage()
    {
        var tenant = await FirstTenantAsync();
        var id = await DefaultTemplateAsync(tenant);
        var logo = Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(LogoImages.Png(64, 32, textChunk: LogoImages.SecretMarker))).Logo;
        var brand = Sample("Default", "Fabrikam message centre") with
        {
            BackgroundColor = "#0B5A2B",
            Texts = new Dictionary<string, BrandTexts>
            {
                ["en"] = new() { PortalText = "Fabrikam message centre", ReadButtonText = "Open at Fabrikam", DisclaimerText = "Fabrikam legal small print." },
            },
        };
        Assert.IsType<BrandTemplateChange.Saved>(await WithServiceAsync(s => s.UpdateAsync(tenant, Actor, id, brand, new LogoChange.Replace(logo), CancellationToken.None)));

        var message = await IngestAsync(_host, SimpleMessage("ben@example.nl", "Edited brand"));
        var eml = Assert.Single(await _host.WaitForOutboxAsync(1));
        using var mail = await MimeMessage.LoadAsync(eml);
        Assert.Contains("Open at Fabrikam", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Fabrikam legal small print.", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("#0B5A2B", mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
        var logoPart = Assert.Single(mail.BodyParts.OfType<MimePart>(), p => p.ContentId is not null && p.ContentType.MediaType == "image");
        using var logoBytes = new MemoryStream();
        logoPart.Content!.DecodeTo(logoBytes);
        Assert.Equal(logo.Content, logoBytes.ToArray());
        Assert.False(LogoImages.Contains(logoBytes.ToArray(), LogoImages.SecretMarker));

        using var client = _host.CreateHttpClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var page = await client.GetStringAsync(new Uri(message.Link).PathAndQuery);
        Assert.Contains("Fabrikam message centre", page, StringComparison.Ordinal);
        Assert.Contains("--brand-bg:#0B5A2B", page, StringComparison.Ordinal);
        var logoUrl = System.Text.RegularExpressions.Regex.Match(page, "<img class=\"brand-logo\" src=\"(/brand/[0-9a-f]{32}/logo)\"").Groups[1].Value;
        Assert.Equal(logo.Content, await client.GetByteArrayAsync(logoUrl));
    }
}

public sealed class BrandTemplateServiceSqliteTests : BrandTemplateServiceTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class BrandTemplateServicePostgresTests : BrandTemplateServiceTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
