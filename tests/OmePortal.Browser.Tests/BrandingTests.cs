using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace OmePortal.Browser.Tests;

/// <summary>
/// A tenant admin brands the default template in the browser (password + TOTP sign-in, logo upload,
/// colour and texts, preview before saving, save), and a message ingested afterwards carries that brand
/// in its notification mail and on its link page. The branding pages pass axe-core in English and Dutch.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrandingTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "brand-reader@example.nl";
    private const string Colour = "#0B5A2B";
    private const string PortalText = "Fabrikam message centre";
    private const string ButtonText = "Open at Fabrikam";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static byte[] LogoPng()
    {
        using var image = new Image<Rgba32>(120, 40, new Rgba32(11, 90, 43));
        image.Metadata.GetPngMetadata().TextData.Add(new PngTextData("Comment", "browser-secret-marker", string.Empty, string.Empty));
        using var output = new MemoryStream();
        image.Save(output, new PngEncoder());
        return output.ToArray();
    }

    private Task SignInAsync(IPage page) => AdminFlow.SignInNewTenantAdminAsync(page, _host);

    [Fact]
    public async Task Admin_BrandsTheDefaultTemplate_MessageShowsTheBrandInMailAndLinkPage()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await SignInAsync(page);

        await page.GotoAsync(_host.BaseUrl + "/admin/branding");
        await page.Locator("a[aria-label='Edit Default']").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/branding/[0-9a-f-]{36}$"));
        await page.Locator("input[name='Input.BackgroundColor']").FillAsync(Colour);
        await page.Locator("input[name='Input.Texts[0].PortalText']").FillAsync(PortalText);
        await page.Locator("input[name='Input.Texts[0].ReadButtonText']").FillAsync(ButtonText);
        await page.Locator("input[type=file][name='Logo']").SetInputFilesAsync(new FilePayload { Name = "logo.png", MimeType = "image/png", Buffer = LogoPng() });

        // Preview: the unsaved values, rendered in sandboxed frames.
        await page.Locator("button[formaction*='handler=Preview']").ClickAsync();
        await page.Locator("iframe[data-preview='mail-en']").WaitForAsync();
        var mailFrame = page.FrameLocator("iframe[data-preview='mail-en']");
        await Assertions.Expect(mailFrame.Locator("body")).ToContainTextAsync(ButtonText);
        await Assertions.Expect(mailFrame.Locator("img[src^='data:image/png']")).ToHaveCountAsync(1);
        var linkFrame = page.FrameLocator("iframe[data-preview='link-en']");
        await Assertions.Expect(linkFrame.Locator("main")).ToContainTextAsync(PortalText);
        await Assertions.Expect(linkFrame.Locator("img.brand-logo")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("iframe[data-preview='mail-en']")).ToHaveAttributeAsync("sandbox", string.Empty);

        // So dark a colour takes light text: the admin sees the colours the portal chose by contrast, before saving.
        await Assertions.Expect(page.Locator("[data-palette]")).ToHaveAttributeAsync("data-on-brand", "#FFFFFF");

        // Nothing is stored yet: a message ingested now still has the old brand.
        var before = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment("before@example.nl", "Before", Mails.PdfLike(64)));
        await Outbox.WaitForNotificationLinkAsync(_host, "before@example.nl", before.Id);
        await page.Locator("button[formaction*='handler=Save']").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/branding$"));
        await Assertions.Expect(page.Locator("[role=status]")).ToContainTextAsync("Default");

        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Branded", Mails.PdfLike(64)));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Reader, message.Id);
        var mail = (await Outbox.AllAsync(_host)).Single(m => m.Headers["X-OmePortal-Message-Id"] == message.Id.ToString("D"));
        Assert.Contains(ButtonText, mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains(Colour, mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
        var logo = Assert.Single(mail.BodyParts.OfType<MimePart>(), p => p.ContentType.MimeType == "image/png" && p.ContentId is not null);
        using (var bytes = new MemoryStream())
        {
            logo.Content!.DecodeTo(bytes);
            Assert.DoesNotContain("browser-secret-marker", System.Text.Encoding.Latin1.GetString(bytes.ToArray()), StringComparison.Ordinal);
        }

        var oldMail = (await Outbox.AllAsync(_host)).Single(m => m.Headers["X-OmePortal-Message-Id"] == before.Id.ToString("D"));
        Assert.DoesNotContain(ButtonText, oldMail.HtmlBody, StringComparison.Ordinal);

        await using var readerContext = await browser.NewContextAsync();
        var reader = await readerContext.NewPageAsync();
        await reader.GotoAsync(link);
        await Assertions.Expect(reader.Locator("main")).ToContainTextAsync(PortalText);
        await Assertions.Expect(reader.Locator("header img.brand-logo[src^='/brand/']")).ToHaveCountAsync(1);
        var brandBackground = await reader.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).getPropertyValue('--brand-bg').trim()");
        Assert.Equal(Colour, brandBackground, ignoreCase: true);
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task BrandingPages_PassAxe(string language, string locale)
    {
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await SignInAsync(page);
        var audit = new PageAudit(page, language, PageAudit.AdminViewports);

        await audit.VisitAsync("template list", _host.BaseUrl + "/admin/branding");
        await audit.VisitAsync("new template", _host.BaseUrl + "/admin/branding/new");
        await page.Locator("input[name='Input.BackgroundColor']").FillAsync("not a colour");
        await page.Locator("input[name='Input.Texts[0].PortalText']").FillAsync(new string('x', 129));
        await page.Locator("input[type=file][name='Logo']").SetInputFilesAsync(new FilePayload { Name = "logo.png", MimeType = "image/png", Buffer = "<svg onload=alert(1)>"u8.ToArray() });
        await page.Locator("button[formaction*='handler=Save']").ClickAsync();
        await page.WaitForLoadStateAsync();
        await Assertions.Expect(page.Locator("#Logo-error")).Not.ToBeEmptyAsync();
        await audit.CurrentAsync("new template with errors");

        // A light brand colour: the portal's own text stays readable on it (a dark one is warned about, see above).
        await page.Locator("input[name='Input.Name']").FillAsync("Campaign " + language);
        await page.Locator("input[name='Input.BackgroundColor']").FillAsync("#E8F1EA");
        await page.Locator("input[name='Input.Texts[0].PortalText']").FillAsync(PortalText);
        await page.Locator("input[type=file][name='Logo']").SetInputFilesAsync(new FilePayload { Name = "logo.png", MimeType = "image/png", Buffer = LogoPng() });
        await page.Locator("button[formaction*='handler=Preview']").ClickAsync();
        await page.Locator("iframe[data-preview='link-nl']").WaitForAsync();
        await audit.CurrentAsync("new template with preview");
        var linkPreview = await page.Locator($"iframe[data-preview='link-{language}']").GetAttributeAsync("src");
        var mailPreview = await page.Locator($"iframe[data-preview='mail-{language}']").GetAttributeAsync("src");
        await page.Locator("button[formaction*='handler=Save']").ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/branding$"));
        await audit.CurrentAsync("template list after saving");
        await page.Locator("a[href$='/remove']").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/remove$"));
        await audit.CurrentAsync("remove confirmation");
        await page.GoBackAsync();
        await page.Locator("a[aria-label$='Default'], a[aria-label^='Default']").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/admin/branding/[0-9a-f-]{36}$"));
        await audit.CurrentAsync("default template");

        // The preview documents on their own: axe cannot run inside the script-less sandbox from the parent.
        await audit.VisitAsync("link page preview", _host.BaseUrl + linkPreview, checkLanguage: true);
        await audit.VisitAsync("mail preview", _host.BaseUrl + mailPreview, checkLanguage: true);

        audit.AssertClean();
    }
}
