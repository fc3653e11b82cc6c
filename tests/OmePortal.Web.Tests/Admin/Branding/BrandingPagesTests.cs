using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Admin.Branding;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Admin.Branding;

/// <summary>
/// The branding pages over HTTP as a signed-in tenant admin: another tenant's ids answer 404 on every
/// endpoint, uploads are judged by content, the preview renders unsaved values without saving them,
/// and what is saved reaches the notification mail and the link page.
/// </summary>
public abstract partial class BrandingPagesTests : IAsyncLifetime
{
    private PortalHost _host = null!;
    private AdminClient _admin = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync()
    {
        _host = await new PortalHost(Storage, Settings).StartAsync();
        _admin = await AdminClient.SignInTenantAdminAsync(_host);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private Task<Guid> DefaultTemplateAsync(string slug = "default") =>
        DbAsync(_host, db => db.BrandTemplates.Where(t => t.IsDefault && db.Tenants.Any(x => x.Id == t.TenantId && x.Slug == slug)).Select(t => t.Id).SingleAsync());

    private static MultipartFormDataContent Form(string name, string portalText, string color = "#0B5A2B", (byte[] Bytes, string FileName, string ContentType)? logo = null)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(name), "Input.Name" },
            { new StringContent("en"), "Input.DefaultLanguage" },
            { new StringContent(color), "Input.BackgroundColor" },
            { new StringContent("true"), "Input.OtpEnabled" },
            { new StringContent("true"), "Input.MicrosoftSignInEnabled" },
            { new StringContent("30"), "Input.ExpiryDays" },
            { new StringContent("en"), "Input.Texts[0].Language" },
            { new StringContent(portalText), "Input.Texts[0].PortalText" },
            { new StringContent("Open at Fabrikam"), "Input.Texts[0].ReadButtonText" },
            { new StringContent("nl"), "Input.Texts[1].Language" },
            { new StringContent(portalText + " NL"), "Input.Texts[1].PortalText" },
        };
        if (logo is { } file)
        {
            var content = new ByteArrayContent(file.Bytes);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(file.ContentType);
            form.Add(content, "Logo", file.FileName);
        }

        return form;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string handler, MultipartFormDataContent form) =>
        await _admin.PostMultipartAsync($"{path}?handler={handler}", form, tokenPage: "/admin/branding");

    [Fact]
    public async Task OtherTenantsTemplate_EveryBrandingEndpointAnswers404()
    {
        var tenantB = await AdminClient.CreateTenantAsync(_host, "tenant-b");
        Guid created;
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var service = scope.ServiceProvider.GetRequiredService<BrandTemplateService>();
            var saved = await service.CreateAsync(tenantB, "b@example.test", new BrandTemplate { Name = "Secret B brand" }, null, CancellationToken.None);
            created = Assert.IsType<BrandTemplateChange.Saved>(saved).Id;
        }

        var draftOfB = await _host.Services.GetRequiredService<BrandPreviewDrafts>().StoreAsync(tenantB, new BrandTemplate { Name = "Draft of B" });
        var defaultOfB = await DefaultTemplateAsync("tenant-b");
        var before = await DbAsync(_host, db => db.BrandTemplates.Where(t => t.TenantId == tenantB).OrderBy(t => t.Id).Select(t => t.Json + t.Name).ToListAsync());

        foreach (var id in new[] { created, defaultOfB })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _admin.Http.GetAsync($"/admin/branding/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await PostAsync($"/admin/branding/{id}", "Save", Form("Taken over", "x"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await PostAsync($"/admin/branding/{id}", "Preview", Form("Taken over", "x"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await _admin.Http.GetAsync($"/admin/branding/{id}/remove")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await _admin.PostFormWithTokenAsync($"/admin/branding/{id}/remove", new Dictionary<string, string>(), await _admin.AntiforgeryTokenAsync("/admin/branding"))).StatusCode);
        }

        foreach (var kind in new[] { "mail", "link" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await _admin.Http.GetAsync($"/admin/branding/preview/{draftOfB}/{kind}/en")).StatusCode);
        }

        var list = await _admin.Http.GetStringAsync("/admin/branding");
        Assert.DoesNotContain("Secret B brand", list, StringComparison.Ordinal);
        Assert.DoesNotContain(created.ToString(), list, StringComparison.Ordinal);
        Assert.Equal(before, await DbAsync(_host, db => db.BrandTemplates.Where(t => t.TenantId == tenantB).OrderBy(t => t.Id).Select(t => t.Json + t.Name).ToListAsync()));
    }

    [Fact]
    public async Task BrandingPages_AnonymousOrPasswordOnly_NotServed()
    {
        using var anonymous = AdminClient.Anonymous(_host);
        foreach (var path in new[] { "/admin/branding", "/admin/branding/new", $"/admin/branding/{await DefaultTemplateAsync()}" })
        {
            using var response = await anonymous.Http.GetAsync(path);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task DefaultTemplate_CannotBeRemoved()
    {
        var id = await DefaultTemplateAsync();
        var page = await _admin.Http.GetStringAsync($"/admin/branding/{id}/remove");
        Assert.Contains("The default template cannot be removed", page, StringComparison.Ordinal);
        using var response = await _admin.PostFormWithTokenAsync($"/admin/branding/{id}/remove", new Dictionary<string, string>(), await _admin.AntiforgeryTokenAsync("/admin/branding"));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.True(await DbAsync(_host, db => db.BrandTemplates.AnyAsync(t => t.Id == id)));
    }

    [Fact]
    public async Task CreateAndRemove_ThroughThePages()
    {
        using var saved = await PostAsync("/admin/branding/new", "Save", Form("Campaign", "Campaign portal"));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var id = await DbAsync(_host, db => db.BrandTemplates.Where(t => t.Name == "Campaign").Select(t => t.Id).SingleAsync());
        Assert.Contains("Campaign", await _admin.Http.GetStringAsync("/admin/branding"), StringComparison.Ordinal);

        await IngestAsync(_host, SimpleMessage("ann@example.nl", "Hi"), "?template=Campaign");
        var confirm = await _admin.Http.GetStringAsync($"/admin/branding/{id}/remove");
        Assert.Contains("1 messages were sent with this template", confirm, StringComparison.Ordinal);

        using var removed = await _admin.PostFormWithTokenAsync($"/admin/branding/{id}/remove", new Dictionary<string, string>(), await _admin.AntiforgeryTokenAsync("/admin/branding"));
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.False(await DbAsync(_host, db => db.BrandTemplates.AnyAsync(t => t.Id == id)));
    }

    [Fact]
    public async Task Upload_PngNamedJpg_StoredAsPngWithoutMetadata()
    {
        var png = LogoImages.Png(80, 40, textChunk: LogoImages.SecretMarker);
        using var saved = await PostAsync("/admin/branding/new", "Save", Form("Renamed", "Renamed portal", logo: (png, "logo.jpg", "image/jpeg")));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var stored = await DbAsync(_host, db => db.BrandTemplates.SingleAsync(t => t.Name == "Renamed"));
        Assert.Equal(BrandLogo.Png, stored.LogoContentType);
        Assert.False(LogoImages.Contains(stored.Logo!, LogoImages.SecretMarker));
    }

    [Theory]
    [InlineData("script", "This file is not a PNG, JPEG or GIF image")]
    [InlineData("svg", "SVG images are not accepted")]
    [InlineData("large", "The logo is larger than 256 KB")]
    [InlineData("pixels", "The logo is larger than 2048 × 2048 pixels")]
    [InlineData("truncated", "The image is damaged or incomplete")]
    public async Task Upload_Refused_ClearMessageAndNothingSaved(string kind, string message)
    {
        var (bytes, fileName, type) = kind switch
        {
            "script" => (Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>"), "logo.png", "image/png"),
            "svg" => (Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>"), "logo.png", "image/png"),
            "large" => (LogoImages.Png().Concat(new byte[BrandLimits.MaxLogoBytes]).ToArray(), "logo.png", "image/png"),
            "pixels" => (LogoImages.PngClaiming(50_000, 50_000), "logo.png", "image/png"),
            _ => (LogoImages.Jpeg(200, 100)[..400], "logo.jpg", "image/jpeg"),
        };

        using var response = await PostAsync("/admin/branding/new", "Save", Form("Refused " + kind, "x", logo: (bytes, fileName, type)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        var page = WebUtility.HtmlDecode(raw);
        Assert.Contains(message, page, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(new BrandingEditPage(new HtmlPage(raw)).LogoError), "the logo field shows its error");
        Assert.False(await DbAsync(_host, db => db.BrandTemplates.AnyAsync(t => t.Name == "Refused " + kind)));
    }

    [Fact]
    public async Task Upload_BodyOverTheRequestLimit_RefusedBeforeTheFormIsRead()
    {
        var huge = new byte[EditModel.MaxRequestBytes + 1024];
        using var response = await PostAsync("/admin/branding/new", "Save", Form("Huge", "x", logo: (huge, "logo.png", "image/png")));
        // The multipart limit trips while antiforgery reads the form (400); Kestrel's body limit would answer 413.
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge });
        Assert.False(await DbAsync(_host, db => db.BrandTemplates.AnyAsync(t => t.Name == "Huge")));
    }

    [Fact]
    public async Task Save_InvalidFields_LocalisedErrorsNextToTheFields()
    {
        var form = Form("Bad", new string('x', BrandLimits.MaxPortalTextLength + 1), color: "blue");
        form.Add(new StringContent("http://contoso.test/privacy"), "Input.PrivacyStatementUrl");
        _admin.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("nl");
        using var response = await PostAsync("/admin/branding/new", "Save", form);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Vul een kleur in de vorm #RRGGBB in", page, StringComparison.Ordinal);
        Assert.Contains("Vul een volledig https-adres in", page, StringComparison.Ordinal);
        Assert.Contains($"Deze tekst heeft {BrandLimits.MaxPortalTextLength + 1} tekens", page, StringComparison.Ordinal);
        Assert.False(await DbAsync(_host, db => db.BrandTemplates.AnyAsync(t => t.Name == "Bad")));
    }

    [Fact]
    public async Task Preview_RendersUnsavedValuesInSandboxedFrames_AndSavesNothing()
    {
        var id = await DefaultTemplateAsync();
        var before = await DbAsync(_host, db => db.BrandTemplates.Where(t => t.Id == id).Select(t => t.Json).SingleAsync());
        using var response = await PostAsync($"/admin/branding/{id}", "Preview", Form("Default", "Preview-only portal text", logo: (LogoImages.Png(), "x.png", "image/png")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = new BrandingEditPage(await HtmlPage.FromAsync(response));
        var mailFrame = Assert.Single(page.Previews, p => p.Kind == "mail" && p.Language == "en").Source;
        var linkFrame = Assert.Single(page.Previews, p => p.Kind == "link" && p.Language == "nl").Source;
        Assert.NotEmpty(page.FindAll("iframe.brand-preview-frame"));
        Assert.All(page.FindAll("iframe.brand-preview-frame"), frame => Assert.Equal(string.Empty, frame.GetAttribute("sandbox")));

        using var mail = await _admin.Http.GetAsync(WebUtility.HtmlDecode(mailFrame));
        Assert.Equal(HttpStatusCode.OK, mail.StatusCode);
        var csp = Header(mail, "Content-Security-Policy");
        Assert.Contains("sandbox", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
        var mailHtml = await mail.Content.ReadAsStringAsync();
        Assert.Contains("Open at Fabrikam", mailHtml, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,", mailHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("cid:", mailHtml, StringComparison.Ordinal);

        using var link = await _admin.Http.GetAsync(WebUtility.HtmlDecode(linkFrame));
        Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        Assert.Contains("sandbox", Header(link, "Content-Security-Policy"), StringComparison.Ordinal);
        var linkHtml = WebUtility.HtmlDecode(await link.Content.ReadAsStringAsync());
        Assert.Contains("Preview-only portal text NL", linkHtml, StringComparison.Ordinal);
        Assert.Contains("U hebt een beveiligd bericht ontvangen", linkHtml, StringComparison.Ordinal);
        Assert.Contains("--brand-bg:#0B5A2B", linkHtml, StringComparison.Ordinal);
        Assert.Contains("--on-brand:#FFFFFF", linkHtml, StringComparison.Ordinal);

        // The passcode and message pages are previewed in the brand too, and the sender line is the real mail's From.
        foreach (var kind in new[] { "code", "message" })
        {
            var frame = Assert.Single(page.Previews, p => p.Kind == kind && p.Language == "en").Source;
            using var preview = await _admin.Http.GetAsync(WebUtility.HtmlDecode(frame));
            Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
            Assert.Contains("sandbox", Header(preview, "Content-Security-Policy"), StringComparison.Ordinal);
            var html = await preview.Content.ReadAsStringAsync();
            Assert.Contains("<body class=\"branded\">", html, StringComparison.Ordinal);
            Assert.Contains("--brand-bg:#0B5A2B", html, StringComparison.Ordinal);
            Assert.Contains("<img class=\"brand-logo\" src=\"data:image/png;base64,", html, StringComparison.Ordinal);
        }

        Assert.Equal("From: OmePortal <no-reply@omeportal.localhost>", page.Text("[data-preview-from='en']"));

        Assert.Equal(before, await DbAsync(_host, db => db.BrandTemplates.Where(t => t.Id == id).Select(t => t.Json).SingleAsync()));

        // Save after the preview keeps the logo uploaded with it (the file input is empty by then).
        var pending = page.PendingLogoDraft ?? string.Empty;
        Assert.Matches("^[0-9a-f]{32}$", pending);
        var form = Form("Default", "Saved after preview");
        form.Add(new StringContent(pending), "Input.PendingLogoDraft");
        using var saved = await PostAsync($"/admin/branding/{id}", "Save", form);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Equal(BrandLogo.Png, await DbAsync(_host, db => db.BrandTemplates.Where(t => t.Id == id).Select(t => t.LogoContentType).SingleAsync()));
    }

    [Fact]
    public async Task SavedTemplate_ReachesTheNotificationMailAndTheLinkPage()
    {
        var id = await DefaultTemplateAsync();
        var logo = LogoImages.Jpeg(120, 40, exifArtist: LogoImages.SecretMarker);
        using var saved = await PostAsync($"/admin/branding/{id}", "Save", Form("Default", "Fabrikam message centre", logo: (logo, "logo.jpeg", "application/octet-stream")));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);

        var message = await IngestAsync(_host, SimpleMessage("ben@example.nl", "Branded"));
        using var mail = await MimeMessage.LoadAsync(Assert.Single(await _host.WaitForOutboxAsync(1)));
        Assert.Contains("Open at Fabrikam", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("#0B5A2B", mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
        var logoPart = Assert.Single(mail.BodyParts.OfType<MimePart>(), p => p.ContentType.MimeType == "image/jpeg");
        using var logoBytes = new MemoryStream();
        logoPart.Content!.DecodeTo(logoBytes);
        Assert.False(LogoImages.Contains(logoBytes.ToArray(), LogoImages.SecretMarker));

        using var client = _host.CreateHttpClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var page = await client.GetStringAsync(new Uri(message.Link).PathAndQuery);
        Assert.Contains("Fabrikam message centre", page, StringComparison.Ordinal);
        Assert.Contains("--brand-bg:#0B5A2B", page, StringComparison.Ordinal);
        var logoUrl = System.Text.RegularExpressions.Regex.Match(page, "<img class=\"brand-logo\" src=\"(/brand/[0-9a-f]{32}/logo)\"").Groups[1].Value;
        using var served = await client.GetAsync(logoUrl);
        Assert.Equal("image/jpeg", served.Content.Headers.ContentType?.MediaType);

        var audit = await DbAsync(_host, db => db.AuditEvents.Where(e => e.Kind == AuditEventKind.TemplateChanged).Select(e => e.Actor).ToListAsync());
        Assert.Equal(_admin.Account!.Email, Assert.Single(audit));
    }
}

public sealed class BrandingPagesSqliteTests : BrandingPagesTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class BrandingPagesPostgresTests : BrandingPagesTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
