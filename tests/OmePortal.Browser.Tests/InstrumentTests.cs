using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The instruments of the other tests, checked against pages that really do the wrong thing: if
/// these pass, a clean result elsewhere means "nothing happened", not "nothing was watched".
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class InstrumentTests(BrowserFixture browser)
{
    [Fact]
    public async Task Axe_PageWithKnownViolations_ReportsThem()
    {
        await using var context = await browser.NewContextAsync(bypassCsp: true);
        var page = await context.NewPageAsync();
        await page.SetContentAsync("<!doctype html><html><head><title>x</title></head><body><main><img src='data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'></main></body></html>");

        var violations = await Axe.RunAsync(page);

        Assert.Contains(violations, v => v.Id == "image-alt");
        Assert.Contains(violations, v => v.Id == "html-has-lang");
        Assert.Contains("image-alt", Axe.Describe(violations), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeakWatch_RequestToCanary_IsSeenByBothTheBrowserAndTheCanary()
    {
        await using var canary = new CanaryServer();
        await using var context = await browser.NewContextAsync();
        var watch = await LeakWatch.AttachAsync(context, "http://localhost:1");
        var page = await context.NewPageAsync();

        await page.SetContentAsync($"<img src='{canary.BaseUrl}/probe.gif'>", new PageSetContentOptions { WaitUntil = WaitUntilState.Load });

        Assert.Contains(watch.ForeignRequests, r => r.Contains(canary.BaseUrl + "/probe.gif", StringComparison.Ordinal));
        Assert.Contains(canary.Hits, h => h.StartsWith("GET /probe.gif ", StringComparison.Ordinal));
        await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => watch.AssertCleanAsync(page, canary, "control"));
    }

    [Fact]
    public async Task LeakWatch_ScriptInASandboxedFrameThatMayRunScripts_IsSeen()
    {
        await using var context = await browser.NewContextAsync();
        var watch = await LeakWatch.AttachAsync(context, "http://localhost:1");
        var page = await context.NewPageAsync();

        // A frame allowed to run script does run the marker; a frame that is not allowed stays clean,
        // and both can still be inspected from the test.
        await page.SetContentAsync(
            """
            <iframe sandbox="allow-scripts" srcdoc="<script>window.pwned = 1; console.log('pwned: ran');</script>"></iframe>
            <iframe sandbox="" srcdoc="<p>quiet</p><script>window.pwned = 2; console.log('pwned: should not run');</script>"></iframe>
            """,
            new PageSetContentOptions { WaitUntil = WaitUntilState.Load });

        var markers = await watch.ScriptMarkersAsync(page);
        Assert.Single(markers);
        Assert.Contains("window.pwned=1", markers[0], StringComparison.Ordinal);
        Assert.Contains(watch.Incidents, i => i.Contains("pwned: ran", StringComparison.Ordinal));
        Assert.DoesNotContain(watch.Incidents, i => i.Contains("should not run", StringComparison.Ordinal));
        var quiet = page.MainFrame.ChildFrames[1];
        Assert.Equal("quiet", await quiet.EvaluateAsync<string>("() => document.body.querySelector('p').textContent"));
    }
}
