using System.Net;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Smtp;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// The admin home's setup checklist states how the portal really runs: each line follows the configuration
/// and the tenant's rows, so every check is shown in both states against a real host.
/// </summary>
public abstract class SetupChecklistTests
{
    protected abstract StorageKind Storage { get; }

    private static async Task<HtmlPage> HomeAsync(AdminClient admin) => await HtmlPage.GetAsync(admin.Http, "/admin");

    private static (string? State, string Text) Check(HtmlPage page, string key)
    {
        var item = page.Find($"ul.checks li[data-check='{key}']") ?? throw new Xunit.Sdk.XunitException($"The checklist has no line {key}.");
        return (item.GetAttribute("data-state"), WebUtility.HtmlDecode(item.TextContent).ReplaceLineEndings(" "));
    }

    [Fact]
    public async Task FreshDevelopmentHost_NamesWhatIsMissing()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        var page = await HomeAsync(admin);

        Assert.Equal(["Relay", "PublicUrl", "Domains", "Delivery", "Certificate", "Providers"], page.FindAll("ul.checks li").Select(li => li.GetAttribute("data-check")));
        var relay = Check(page, "Relay");
        Assert.Equal("attention", relay.State);
        Assert.Contains("No relay host is configured", relay.Text, StringComparison.Ordinal);
        var url = Check(page, "PublicUrl");
        Assert.Equal("attention", url.State);
        Assert.Contains($"Links in mail point to {host.BaseUrl}, which only this machine can open.", url.Text, StringComparison.Ordinal);
        var domains = Check(page, "Domains");
        Assert.Equal("attention", domains.State);
        Assert.NotNull(page.Find("ul.checks li[data-check='Domains'] a[href='/admin/rules#domains-heading']"));
        var delivery = Check(page, "Delivery");
        Assert.Equal("attention", delivery.State);
        Assert.Contains("written to files in the pickup directory", delivery.Text, StringComparison.Ordinal);
        var certificate = Check(page, "Certificate");
        Assert.Equal("attention", certificate.State);
        Assert.Contains("self-signed certificate", certificate.Text, StringComparison.Ordinal);
        var providers = Check(page, "Providers");
        Assert.Equal("optional", providers.State);
        Assert.Contains("no Microsoft or OpenID Connect sign-in is configured", providers.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfiguredHost_IsDone_AndADeliveryFailureShowsUntilMailGoesOutAgain()
    {
        await using var sink = new SmtpSink { Refuse = true };
        var data = TestEnvironment.NewTempDirectory("omeportal-checklist");
        var certificateFile = Path.Combine(data, "gateway.pfx");
        File.WriteAllBytes(certificateFile, SmtpCertificates.CreateSelfSigned(new SmtpGatewayOptions { ServerName = "mx.contoso.test" }, TimeProvider.System));
        var settings = new Dictionary<string, string?>(sink.SmartHostSettings())
        {
            ["OmePortal:PublicBaseUrl"] = "https://portal.contoso.test",
            ["OmePortal:Rules:Relay:Host"] = "127.0.0.1",
            ["OmePortal:Rules:Relay:Port"] = "2599",
            ["OmePortal:Smtp:CertificatePath"] = certificateFile,
            ["OmePortal:Bootstrap:AcceptedDomains:0"] = "contoso.test",
        };
        await using var host = await new PortalHost(Storage, settings, data).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        var before = await HomeAsync(admin);
        Assert.Equal(("done", true), (Check(before, "Relay").State, Check(before, "Relay").Text.Contains("relayed unchanged to 127.0.0.1:2599", StringComparison.Ordinal)));
        Assert.Equal(("done", true), (Check(before, "PublicUrl").State, Check(before, "PublicUrl").Text.Contains("https://portal.contoso.test", StringComparison.Ordinal)));
        Assert.Equal(("done", true), (Check(before, "Domains").State, Check(before, "Domains").Text.Contains("contoso.test", StringComparison.Ordinal)));
        Assert.Equal(("done", true), (Check(before, "Delivery").State, Check(before, "Delivery").Text.Contains("no mail has gone out yet", StringComparison.Ordinal)));
        Assert.Equal(("done", true), (Check(before, "Certificate").State, Check(before, "Certificate").Text.Contains("CN=mx.contoso.test", StringComparison.Ordinal)));

        // The smart host refuses: the line says so, with the error, while the mail is retried.
        await host.IngestAsync(TestMessages.WithMarkers("Checklist", "<p>html</p>", "text", "file", "reader@example.nl"));
        await WaitAsync(async () => (await HomeAsync(admin)).Find("ul.checks li[data-check='Delivery'][data-state='attention']") is not null);
        var failing = Check(await HomeAsync(admin), "Delivery");
        Assert.Contains("is still being retried", failing.Text, StringComparison.Ordinal);
        Assert.Contains("Last error:", failing.Text, StringComparison.Ordinal);

        // Once mail goes out again, the failure is history.
        sink.Refuse = false;
        await sink.WaitForAsync(1);
        await WaitAsync(async () => (await HomeAsync(admin)).Find("ul.checks li[data-check='Delivery'][data-state='done']") is not null);
        Assert.Contains("the last mail went out at", Check(await HomeAsync(admin), "Delivery").Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpPublicAddress_AndDisabledGateway_AreNamed()
    {
        await using var host = await new PortalHost(Storage, new Dictionary<string, string?>
        {
            ["OmePortal:PublicBaseUrl"] = "http://portal.contoso.test",
            ["OmePortal:Smtp:Enabled"] = "false",
        }).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);

        var page = await HomeAsync(admin);

        Assert.Equal("attention", Check(page, "PublicUrl").State);
        Assert.Contains("without https", Check(page, "PublicUrl").Text, StringComparison.Ordinal);
        Assert.Equal("optional", Check(page, "Certificate").State);
        Assert.Contains("The SMTP gateway is off", Check(page, "Certificate").Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DutchAdmin_ReadsTheChecklistInDutch()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);
        admin.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("nl-NL");

        var page = await HomeAsync(admin);

        Assert.Equal("Controlelijst voor de inrichting", page.Text("#checklist-heading"));
        Assert.Contains("Vraagt aandacht", Check(page, "Relay").Text, StringComparison.Ordinal);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The checklist did not change in time.");
            }

            await Task.Delay(200);
        }
    }
}

public sealed class SetupChecklistSqliteTests : SetupChecklistTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SetupChecklistPostgresTests : SetupChecklistTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
