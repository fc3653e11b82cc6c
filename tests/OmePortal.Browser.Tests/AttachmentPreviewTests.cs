using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The attachment viewer as a reader meets it: a PDF, a Word document, a spreadsheet, a PNG and a text file,
/// each of a normal and of a Do-Not-Forward message, at phone and desktop size, axe clean in English and
/// Dutch; zoom and "go to page" work; Do-Not-Forward offers no download and says why; nobody without a
/// session gets a page image. One walk, one portal: every document is converted once (LibreOffice is slow
/// to start) and both languages read the stored pages.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AttachmentPreviewTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "reader@example.nl";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task EveryKind_NormalAndDoNotForward_WorksAndPassesAxe_InBothLanguages()
    {
        var normal = await PortalApi.IngestAsync(_host, PreviewFiles.Message(Reader, "Your documents"));
        var dnf = await PortalApi.IngestAsync(_host, PreviewFiles.Message(Reader, "Your protected documents"), protection: "DoNotForward");
        await using var context = await browser.NewContextAsync(locale: "en-GB", viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();

        // The first view of an Office document waits for LibreOffice.
        page.SetDefaultNavigationTimeout(180_000);
        page.SetDefaultTimeout(60_000);
        await RecipientFlow.SignInFromLinkAsync(page, _host, normal.LinkFor(Reader), Reader);
        var pageImages = new List<string>();
        foreach (var language in new[] { "en", "nl" })
        {
            if (language == "nl")
            {
                await page.GotoAsync($"{_host.BaseUrl}/language/nl?returnUrl=%2Finbox");
            }

            var audit = new PageAudit(page, language);
            foreach (var (message, doNotForward) in new[] { (normal, false), (dnf, true) })
            {
                var kind = doNotForward ? "dnf" : "normal";
                await page.GotoAsync($"{_host.BaseUrl}/messages/{message.Id}");
                var links = page.Locator(".attachment-list a.attachment-preview");
                Assert.Equal(PreviewFiles.Names.Count, await links.CountAsync());

                for (var index = 0; index < PreviewFiles.Names.Count; index++)
                {
                    var name = PreviewFiles.Names[index];
                    var response = await page.GotoAsync($"{_host.BaseUrl}/messages/{message.Id}/attachments/{index}/preview");
                    Assert.Equal(200, response?.Status);
                    Assert.Equal("ready", await page.Locator("[data-preview]").GetAttributeAsync("data-preview"));
                    Assert.Equal(name, (await page.Locator("h1").InnerTextAsync()).Trim());
                    Assert.Equal(doNotForward ? 0 : 1, await page.Locator("a[data-download]").CountAsync());
                    Assert.Equal(doNotForward, await page.Locator("[data-dnf-notice]").IsVisibleAsync());

                    if (name == PreviewFiles.TextName)
                    {
                        Assert.Contains("<b>not bold</b> & kept as typed", await page.Locator(".preview-text pre").InnerTextAsync(), StringComparison.Ordinal);
                    }
                    else
                    {
                        await WaitForFirstPageAsync(page);
                        pageImages.Add(await page.Locator("figure.preview-page img").First.GetAttributeAsync("src") ?? string.Empty);
                    }

                    if (name == PreviewFiles.PdfName)
                    {
                        await PagesAndZoomWorkAsync(page, doNotForward);
                    }

                    await audit.CurrentAsync($"preview {kind} {name}");
                }
            }

            audit.AssertClean();
        }

        // Nobody signed in gets no page image: a redirect to sign in, never the picture.
        await using var stranger = await browser.NewContextAsync();
        foreach (var source in pageImages.Distinct())
        {
            var response = await stranger.APIRequest.GetAsync(_host.BaseUrl + source, new() { MaxRedirects = 0 });
            Assert.Equal(302, response.Status);
            Assert.StartsWith("/signin", response.Headers["location"], StringComparison.Ordinal);
        }
    }

    private static async Task WaitForFirstPageAsync(IPage page) =>
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('figure.preview-page img'); return i && i.complete && i.naturalWidth > 0; }");

    /// <summary>Three pages listed (first eager, the rest lazy), "go to page" moves there, zoom widens the pages and "fit" undoes it.</summary>
    private static async Task PagesAndZoomWorkAsync(IPage page, bool doNotForward)
    {
        var images = page.Locator("figure.preview-page img");
        Assert.Equal(3, await images.CountAsync());
        Assert.Equal("lazy", await images.Nth(2).GetAttributeAsync("loading"));

        // The text layer: under Do-Not-Forward only when the tenant's admin chose it (off by default).
        Assert.Equal(doNotForward ? 0 : 3, await page.Locator("figure.preview-page details.page-text").CountAsync());

        await page.Locator("#page-number").FillAsync("3");
        await page.Locator("#page-number").PressAsync("Enter");
        await page.WaitForFunctionAsync("() => location.hash === '#page-3' && document.activeElement && document.activeElement.id === 'page-3'");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('#page-3 img'); return i.complete && i.naturalWidth > 0; }");

        var zoom = page.Locator("[data-zoom]");
        Assert.True(await zoom.IsVisibleAsync(), "zoom needs script, which runs here");
        var before = (await images.First.BoundingBoxAsync())!.Width;
        await page.Locator("[data-zoom-step='1']").ClickAsync();
        await page.Locator("[data-zoom-step='1']").ClickAsync();
        var zoomed = (await images.First.BoundingBoxAsync())!.Width;
        Assert.True(zoomed > before * 1.4, $"zoom in: {before} → {zoomed}");
        Assert.Contains("150", await page.Locator("[data-zoom-level]").InnerTextAsync(), StringComparison.Ordinal);
        await page.Locator("[data-zoom-fit]").ClickAsync();
        Assert.Equal(before, (await images.First.BoundingBoxAsync())!.Width, 1.0);
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
    }
}
