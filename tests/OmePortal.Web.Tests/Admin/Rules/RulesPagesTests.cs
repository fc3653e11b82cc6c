using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;
using OmePortal.Data;
using OmePortal.Testing;

using OmePortal.Web.Tests.Rules;

namespace OmePortal.Web.Tests.Admin.Rules;

/// <summary>The admin rules pages over real HTTP with a signed-in tenant admin (password + TOTP).</summary>
public abstract class RulesPagesTests
{
    protected abstract StorageKind Storage { get; }

    private static Dictionary<string, string> SecureRuleForm(string name = "Secure subject") => new()
    {
        ["Input.Name"] = name,
        ["Input.Enabled"] = "true",
        ["Input.SubjectWords"] = "[secure]",
        ["Input.Action"] = "Encrypt",
        ["Input.Protection"] = "DoNotForward",
        ["Input.TemplateId"] = string.Empty,
        ["Input.ExpiryDays"] = "30",
        ["Input.PaymentCardMin"] = "1",
        ["Input.IbanMin"] = "1",
        ["Input.DutchBsnMin"] = "1",
    };

    private static MultipartFormDataContent Upload(byte[] eml, IDictionary<string, string>? fields = null)
    {
        var content = new MultipartFormDataContent();
        foreach (var (key, value) in fields ?? new Dictionary<string, string>())
        {
            content.Add(new StringContent(value), key);
        }

        var file = new ByteArrayContent(eml);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("message/rfc822");
        content.Add(file, "message", "sample.eml");
        return content;
    }

    private static async Task<string> BodyAsync(HttpResponseMessage response) => WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

    [Fact]
    public async Task Save_NewRule_IsListedAuditedAndApplied()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        using var saved = await admin.PostFormAsync("/admin/rules/new", SecureRuleForm(), handler: "Save");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);

        using var list = await admin.Http.GetAsync("/admin/rules");
        var html = await BodyAsync(list);
        Assert.Contains("Secure subject", html, StringComparison.Ordinal);
        Assert.Contains("the subject contains \u201C[secure]\u201D", html, StringComparison.Ordinal);

        var (rule, audit) = await RulesTestSupport.WithDbAsync(host, async db =>
            (await db.MailFlowRules.AsNoTracking().SingleAsync(),
             await db.AuditEvents.AsNoTracking().Where(a => a.Kind == AuditEventKind.RuleChanged).ToListAsync()));
        Assert.Equal(ProtectionLevel.DoNotForward, RuleSerializer.ActionFromJson(rule.ActionJson).Protection);
        Assert.Equal("created: Secure subject", Assert.Single(audit).Detail);
    }

    [Fact]
    public async Task Preview_DescribesTheRuleWithoutSaving()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);
        var form = SecureRuleForm();
        form["Input.RecipientExternal"] = "true";

        using var response = await admin.PostFormAsync("/admin/rules/new", form, handler: "Preview");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await BodyAsync(response);
        Assert.Contains("What this rule will do", html, StringComparison.Ordinal);
        Assert.Contains("When a recipient is external and the subject contains \u201C[secure]\u201D: encrypt (do not forward, template default, expires after 30 days).", html, StringComparison.Ordinal);
        Assert.Contains("so \"a recipient is external\" never matches", html, StringComparison.Ordinal);
        Assert.Equal(0, await RulesTestSupport.WithDbAsync(host, db => db.MailFlowRules.CountAsync()));
    }

    [Fact]
    public async Task Save_InvalidDomain_ShowsTheErrorAndSavesNothing()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);
        var form = SecureRuleForm();
        form["Input.RecipientDomains"] = "not a domain";

        using var response = await admin.PostFormAsync("/admin/rules/new", form, handler: "Save");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Enter domain names, like example.com.", await BodyAsync(response), StringComparison.Ordinal);
        Assert.Equal(0, await RulesTestSupport.WithDbAsync(host, db => db.MailFlowRules.CountAsync()));
    }

    [Fact]
    public async Task Tester_SavedRules_ShowsWhichRuleMatchedAndWhy()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        await RulesTestSupport.AddRuleAsync(host, "Cards", new RuleConditions { SensitiveInformation = [new(SensitiveInformationKind.PaymentCard, 1)] }, RuleAction.Encrypt(ProtectionLevel.EncryptOnly));
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        var eml = RulesTestSupport.RawMessage("[secure] card 4111 1111 1111 1111");
        using var response = await admin.PostMultipartAsync("/admin/rules/test", Upload(eml));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await BodyAsync(response);
        Assert.Contains("Encrypted by rule Secure subject.", html, StringComparison.Ordinal);
        Assert.Contains("Subject contains: [secure]", html, StringComparison.Ordinal);
        Assert.Contains("Payment card numbers: 1 ≥ 1", html, StringComparison.Ordinal);
        Assert.Contains("matched, but another rule decides", html, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", html.Replace("4111 1111 1111 1111", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tester_NoMatch_WithARelay_SaysItIsRelayedThere()
    {
        var relay = new Dictionary<string, string?> { ["OmePortal:Rules:Relay:Host"] = "127.0.0.1", ["OmePortal:Rules:Relay:Port"] = "2599" };
        await using var host = await new PortalHost(Storage, relay).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        using var response = await admin.PostMultipartAsync("/admin/rules/test", Upload(RulesTestSupport.RawMessage("Lunch")));

        var html = await BodyAsync(response);
        Assert.Contains("No rule encrypts it. Through SMTP it is relayed unchanged to 127.0.0.1:2599;", html, StringComparison.Ordinal);
        Assert.Contains("No rule matches this message.", html, StringComparison.Ordinal);
        var list = await BodyAsync(await admin.Http.GetAsync("/admin/rules"));
        Assert.Contains("Mail that no rule encrypts is relayed unchanged to the relay host 127.0.0.1:2599.", list, StringComparison.Ordinal);
        Assert.DoesNotContain("No relay host is configured", list, StringComparison.Ordinal);
    }

    /// <summary>Without a relay the gateway encrypts what no rule encrypts (SmtpMessageStore): the pages must not promise a relay.</summary>
    [Fact]
    public async Task Tester_NoMatchOrExemption_WithoutARelay_SaysItIsEncryptedWithTheDefault()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        await RulesTestSupport.AddRuleAsync(host, "Secure subject", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        using var unmatched = await admin.PostMultipartAsync("/admin/rules/test", Upload(RulesTestSupport.RawMessage("Lunch")));
        var html = await BodyAsync(unmatched);
        Assert.Contains("No rule encrypts it. No relay host is configured, so it is encrypted with the tenant default", html, StringComparison.Ordinal);
        Assert.DoesNotContain("relayed unchanged", html, StringComparison.Ordinal);

        await RulesTestSupport.AddRuleAsync(host, "Newsletters", RulesTestSupport.SecureSubject, RuleAction.DoNotEncrypt);
        using var exempt = await admin.PostMultipartAsync("/admin/rules/test", Upload(RulesTestSupport.RawMessage("[secure] statement")));
        Assert.Contains("Rule Newsletters exempts it from encryption, but no relay host is configured, so through SMTP it is encrypted with the tenant default all the same.", await BodyAsync(exempt), StringComparison.Ordinal);

        var list = await BodyAsync(await admin.Http.GetAsync("/admin/rules"));
        Assert.Contains("No relay host is configured (OmePortal:Rules:Relay:Host), so the SMTP gateway cannot pass mail on unencrypted", list, StringComparison.Ordinal);
        Assert.DoesNotContain("relayed unchanged", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tester_MalformedOrMissingOrTooLarge_AnswersClearly()
    {
        await using var host = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Rules:MaxTesterBytes"] = "2048" }).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        using (var malformed = await admin.PostMultipartAsync("/admin/rules/test", Upload(Encoding.ASCII.GetBytes("just some words, no headers at all\r\n"))))
        {
            Assert.Equal(HttpStatusCode.OK, malformed.StatusCode);
            Assert.Contains("This file is not a readable email message", await BodyAsync(malformed), StringComparison.Ordinal);
        }

        using (var large = await admin.PostMultipartAsync("/admin/rules/test", Upload(new byte[4096])))
        {
            Assert.Contains("The file is larger than", await BodyAsync(large), StringComparison.Ordinal);
        }

        var empty = new MultipartFormDataContent();
        using var none = await admin.PostMultipartAsync("/admin/rules/test", empty);
        Assert.Contains("Choose an .eml file to test.", await BodyAsync(none), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tester_UnsavedDraft_IsEvaluatedBeforeSaving()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        using var response = await admin.PostMultipartAsync("/admin/rules/new?handler=Test", Upload(RulesTestSupport.RawMessage("[secure] results"), SecureRuleForm("Draft rule")), tokenPage: "/admin/rules/new");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await BodyAsync(response);
        Assert.Contains("Encrypted by rule Draft rule.", html, StringComparison.Ordinal);
        Assert.Contains("(this form, not saved)", html, StringComparison.Ordinal);
        Assert.Equal(0, await RulesTestSupport.WithDbAsync(host, db => db.MailFlowRules.CountAsync()));
    }

    [Fact]
    public async Task Reorder_Enable_Delete_Work()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        var first = await RulesTestSupport.AddRuleAsync(host, "First", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward));
        var second = await RulesTestSupport.AddRuleAsync(host, "Second", new RuleConditions(), RuleAction.DoNotEncrypt);
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        using (var moved = await admin.PostFormAsync($"/admin/rules?id={second}&up=true", new Dictionary<string, string>(), handler: "Move"))
        {
            Assert.Equal(HttpStatusCode.Redirect, moved.StatusCode);
        }

        using (var off = await admin.PostFormAsync($"/admin/rules?id={first}&enabled=false", new Dictionary<string, string>(), handler: "Enable"))
        {
            Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
        }

        var rules = await RulesTestSupport.WithDbAsync(host, db => db.MailFlowRules.AsNoTracking().OrderBy(r => r.Priority).ToListAsync());
        Assert.Equal(["Second", "First"], rules.Select(r => r.Name));
        Assert.False(rules.Single(r => r.Id == first).Enabled);

        using (var deleted = await admin.PostFormAsync($"/admin/rules/{first}/delete", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        }

        Assert.Equal(["Second"], await RulesTestSupport.WithDbAsync(host, db => db.MailFlowRules.Select(r => r.Name).ToListAsync()));
    }

    [Fact]
    public async Task OtherTenantsRule_IsNotFoundOnEveryPage()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        var other = await AdminClient.CreateTenantAsync(host, "other-tenant");
        var foreign = await RulesTestSupport.AddRuleAsync(host, "Other tenant's rule", RulesTestSupport.SecureSubject, RuleAction.Encrypt(ProtectionLevel.DoNotForward), tenantId: other);
        using var admin = await AdminClient.SignInTenantAdminAsync(host);
        var token = await admin.AntiforgeryTokenAsync("/admin/rules/new");

        using (var list = await admin.Http.GetAsync("/admin/rules"))
        {
            Assert.DoesNotContain("Other tenant", await BodyAsync(list), StringComparison.Ordinal);
        }

        foreach (var path in new[] { $"/admin/rules/{foreign}", $"/admin/rules/{foreign}/delete" })
        {
            using var get = await admin.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }

        var form = SecureRuleForm("Hijacked");
        foreach (var (path, handler) in new (string, string?)[]
        {
            ($"/admin/rules/{foreign}", "Save"),
            ($"/admin/rules/{foreign}", "Preview"),
            ($"/admin/rules/{foreign}", "Test"),
            ($"/admin/rules/{foreign}/delete", null),
            ($"/admin/rules?id={foreign}&up=true", "Move"),
            ($"/admin/rules?id={foreign}&enabled=false", "Enable"),
        })
        {
            using var post = await admin.PostFormWithTokenAsync(path, form, token, handler);
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }

        var untouched = await RulesTestSupport.WithDbAsync(host, db => db.MailFlowRules.AsNoTracking().SingleAsync(r => r.Id == foreign));
        Assert.Equal("Other tenant's rule", untouched.Name);
        Assert.True(untouched.Enabled);
        Assert.Equal(other, untouched.TenantId);
    }

    [Fact]
    public async Task Domains_AreSavedPerTenantAndValidated()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        using (var bad = await admin.PostFormAsync("/admin/rules", new Dictionary<string, string> { ["Domains"] = "contoso.test\nnot a domain" }, handler: "Domains"))
        {
            Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
            Assert.Contains("Enter domain names only", await BodyAsync(bad), StringComparison.Ordinal);
        }

        using (var good = await admin.PostFormAsync("/admin/rules", new Dictionary<string, string> { ["Domains"] = "Contoso.test\nmail.contoso.test\n" }, handler: "Domains"))
        {
            Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        }

        var tenant = await RulesTestSupport.DefaultTenantAsync(host);
        var domains = await RulesTestSupport.WithDbAsync(host, db => db.TenantDomains.Where(d => d.TenantId == tenant).Select(d => d.Domain).OrderBy(d => d).ToListAsync());
        Assert.Equal(["contoso.test", "mail.contoso.test"], domains);
    }
}

public sealed class RulesPagesSqliteTests : RulesPagesTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class RulesPagesPostgresTests : RulesPagesTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
