using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Core.Branding;
using OmePortal.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The tenant's brand on every recipient page of a message (issue 20, item 1), in Chromium, in both languages, at
/// phone and desktop size, axe clean: with a dark brand colour the link, passcode, message, compose and signed-out
/// pages show the logo and the brand colour (computed style) with readable text (computed contrast of at least
/// 4.5:1 for the footer, the primary button and a link on the background); /signin and /inbox stay neutral.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrandEveryPageTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Navy = "#0B1F3A";
    private const string NavyRgb = "rgb(11, 31, 58)";
    private const string NeutralRgb = "rgb(243, 242, 241)";

    /// <summary>The WCAG contrast of an element's text with the first opaque background behind it; -1 when there is no such element.</summary>
    private const string ContrastScript = """
        (selector) => {
            const el = document.querySelector(selector);
            if (!el) return -1;
            const parse = c => { const p = c.match(/rgba?\(([^)]+)\)/)[1].split(',').map(s => parseFloat(s)); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
            const lum = ({ r, g, b }) => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
            let bg = { r: 255, g: 255, b: 255, a: 1 };
            for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c.a > 0) { bg = c; break; } }
            const [a, b] = [lum(parse(getComputedStyle(el).color)), lum(bg)];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }
        """;

    private PortalHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await new PortalHost(settings: new Dictionary<string, string?>
        {
            ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000",
        }).StartAsync();

        var logo = Logo();
        await _host.DbAsync(async db =>
        {
            var template = await db.BrandTemplates.SingleAsync(t => t.IsDefault);
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { BackgroundColor = Navy, Logo = new BrandLogo(logo, BrandLogo.Png) });
            template.Logo = logo;
            template.LogoContentType = BrandLogo.Png;
            await db.SaveChangesAsync();
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static byte[] Logo()
    {
        using var image = new Image<Rgba32>(160, 48, new Rgba32(240, 160, 20));
        using var output = new MemoryStream();
        image.Save(output, new PngEncoder());
        return output.ToArray();
    }

    private static async Task<double> ContrastAsync(IPage page, string selector)
    {
        var ratio = await page.EvaluateAsync<double>(ContrastScript, selector);
        Assert.True(ratio > 0, $"{page.Url}: nothing matches {selector}");
        return ratio;
    }

    /// <summary>The page wears the brand: logo loaded in the header, brand background, readable footer, button and links.</summary>
    private static async Task AssertBrandedAsync(IPage page, string what, string primaryButton, string? linkOnBackground = null)
    {
        var logo = page.Locator("header img.brand-logo");
        await Assertions.Expect(logo).ToBeVisibleAsync();
        Assert.True(await logo.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 160"), $"{what}: the logo did not load");
        Assert.Equal(NavyRgb, await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));

        var footer = await ContrastAsync(page, ".site-footer p");
        Assert.True(footer >= 4.5, $"{what}: footer contrast {footer:0.00}");
        Assert.Equal(NavyRgb, await page.Locator(primaryButton).First.EvaluateAsync<string>("b => getComputedStyle(b).backgroundColor"));
        var button = await ContrastAsync(page, primaryButton);
        Assert.True(button >= 4.5, $"{what}: primary button contrast {button:0.00}");
        if (linkOnBackground is not null)
        {
            var link = await ContrastAsync(page, linkOnBackground);
            Assert.True(link >= 4.5, $"{what}: link on the brand background, contrast {link:0.00}");
        }
    }

    private static async Task AssertNeutralAsync(IPage page, string what)
    {
        Assert.Equal(0, await page.Locator("img.brand-logo").CountAsync());
        Assert.Equal(NeutralRgb, await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        var footer = await ContrastAsync(page, ".site-footer p");
        Assert.True(footer >= 4.5, $"{what}: footer contrast {footer:0.00}");
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task DarkBrand_OnEveryPageOfTheMessage_ReadableAndAxeClean_SignInAndInboxNeutral(string language, string locale)
    {
        var reader = $"merk-{language}@example.nl";
        var message = await PortalApi.IngestAsync(_host, TestMessages.WithMarkers("branded pages", "bp-html", "bp-text", "bp-file", reader));
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);

        await audit.VisitAsync("branded link page", message.LinkFor(reader));
        await AssertBrandedAsync(page, "link page", "main form[action*='handler=Passcode'] button.button");

        await page.Locator("form[action*='handler=Passcode'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        await AssertBrandedAsync(page, "code page", "main form.passcode-form button[type=submit]");
        await audit.CurrentAsync("branded passcode page");

        await RecipientFlow.EnterPasscodeAsync(page, _host, reader);
        await page.WaitForURLAsync(new Regex("/messages/[0-9a-fA-F-]{36}$"));
        await AssertBrandedAsync(page, "message page", "main .message-actions a.button:not(.secondary)", ".page > p.back a");
        await audit.CurrentAsync("branded message page");

        await audit.VisitAsync("branded compose page", $"{_host.BaseUrl}/messages/{message.Id}/reply?mode=reply");
        await AssertBrandedAsync(page, "compose page", "main form button[type=submit].button");

        await audit.VisitAsync("neutral inbox", _host.BaseUrl + "/inbox");
        await AssertNeutralAsync(page, "/inbox");

        await page.GotoAsync($"{_host.BaseUrl}/messages/{message.Id}");
        await page.Locator("header form[action^='/signout'] button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signout\\?brand=[0-9a-f]{32}$"));
        Assert.Equal(0, await page.Locator("header form[action^='/signout']").CountAsync());
        await AssertBrandedAsync(page, "signed-out page", "main a.button");
        await audit.CurrentAsync("branded signed-out page");

        await audit.VisitAsync("neutral sign-in", _host.BaseUrl + "/signin");
        await AssertNeutralAsync(page, "/signin");
        audit.AssertClean();
    }
}
