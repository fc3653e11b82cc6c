using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// "Show images" in Chromium (issue 19, item 9): the remote images of the hostile corpus's tracking
/// message appear, fetched by the portal's image proxy. The browser itself requests nothing from any
/// host but the portal; the canary (the sender's server) sees only the portal's fetches of images.
/// The proxy may reach the loopback canary through its test seam only.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RemoteImagesProxyTests(BrowserFixture browser) : IAsyncLifetime
{
    private PortalHost _host = null!;
    private CanaryServer _canary = null!;

    public async Task InitializeAsync()
    {
        _canary = new CanaryServer();
        _host = await new PortalHost(settings: new Dictionary<string, string?> { ["OmePortal:Reading:ImageProxy:AllowLoopbackTargets"] = "true" }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _canary.DisposeAsync();
    }

    [Fact]
    public async Task ShowImages_LoadsThemThroughThePortal_AndTheBrowserReachesNoOtherHost()
    {
        var ingested = await PortalApi.IngestAsync(_host, HostileMail.Find("remote-images").Build(_canary.BaseUrl));
        await using var context = await browser.NewContextAsync();
        var watch = await LeakWatch.AttachAsync(context, _host.BaseUrl);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, ingested.LinkFor(HostileMail.Recipient), HostileMail.Recipient);
        await Pages.BodyFrameAsync(page);
        Assert.Empty(_canary.Hits);

        var showImages = page.Locator($".images-note a[href='/messages/{ingested.Id}?images=1']");
        await showImages.HoverAsync(); // see Pages.DownloadAsync: a bare click beside the frame can be swallowed
        await showImages.ClickAsync();
        await page.WaitForURLAsync($"**/messages/{ingested.Id}?images=1");
        var frame = await Pages.BodyFrameAsync(page);

        // The visible image is shown, from the portal's proxy URL.
        var shown = await Pages.PollAsync<int>(
            frame,
            "() => [...document.images].filter(i => i.complete && i.naturalWidth > 0 && new URL(i.currentSrc).pathname.endsWith('/remote-image')).length",
            "remote images loaded through the proxy");
        Assert.True(shown >= 2, $"{shown} image(s) shown");
        Assert.Equal(0, await frame.EvaluateAsync<int>("() => [...document.images].filter(i => i.currentSrc && !i.currentSrc.startsWith(location.origin)).length"));
        await page.WaitForTimeoutAsync(500);

        // Not one request from the browser to the sender's server; the portal fetched the images, and only images.
        Assert.Empty(watch.ForeignRequests);
        Assert.Empty(await watch.ScriptMarkersAsync(page));
        var hits = _canary.Hits;
        Assert.Contains("GET /remote-images/visible.png HTTP/1.1", hits);
        Assert.DoesNotContain(hits, h => h.Contains("video", StringComparison.Ordinal) || h.Contains("audio", StringComparison.Ordinal)
            || h.Contains("frame", StringComparison.Ordinal) || h.Contains("object", StringComparison.Ordinal) || h.Contains("embed", StringComparison.Ordinal)
            || h.Contains("fetch", StringComparison.Ordinal) || h.Contains("ping", StringComparison.Ordinal) || h.Contains("portal", StringComparison.Ordinal));
    }
}
