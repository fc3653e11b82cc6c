using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Hostile mail (issue 3, item 10): each message of <see cref="HostileMail"/> is ingested through the
/// API and read in Chromium as its recipient. From the browser it is proven that no script ran (in the
/// page or the frame), nothing navigated away, and no request went to any host but the portal — the
/// canary server on another loopback port, which every payload targets, is never reached.
/// "Show images" is deliberately not clicked: remote content must stay blocked.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class HostileMailTests(BrowserFixture browser) : IAsyncLifetime
{
    private PortalHost _host = null!;
    private CanaryServer _canary = null!;

    public static TheoryData<string> Cases => [.. HostileMail.All.Select(c => c.Name)];

    public async Task InitializeAsync()
    {
        _canary = new CanaryServer();
        _host = await new PortalHost().StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _canary.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileMessage_RunsNoScript_AndReachesNoOtherHost(string name)
    {
        var hostile = HostileMail.Find(name);
        var ingested = await PortalApi.IngestAsync(_host, hostile.Build(_canary.BaseUrl));

        await using var context = await browser.NewContextAsync();
        var watch = await LeakWatch.AttachAsync(context, _host.BaseUrl);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, ingested.LinkFor(HostileMail.Recipient), HostileMail.Recipient);

        // The body is really shown (a blank page would prove nothing) ...
        var frame = await Pages.BodyFrameAsync(page);
        await Pages.PollAsync<bool>(frame, $"() => document.body.innerText.includes('{HostileMail.CaseMarker(name)}')", "the case's visible text");

        // ... and given what a reader does: time (meta refresh, animations, autofocus), the mouse and the keyboard.
        var box = await page.Locator(Pages.BodyFrameSelector).BoundingBoxAsync();
        if (box is not null)
        {
            for (var i = 1; i <= 4; i++)
            {
                await page.Mouse.MoveAsync(box.X + (box.Width * i / 5), box.Y + Math.Min(box.Height - 1, 40 * i));
            }
        }

        for (var i = 0; i < 6; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await page.WaitForTimeoutAsync(1200); // the slowest payload, a 1 s meta refresh

        var problems = new List<string>();
        problems.AddRange(await DomInspection.BodyProblemsAsync(frame, hostile.Secret));
        problems.AddRange(await DomInspection.PageProblemsAsync(page, hostile.Secret));
        if (hostile.Secret is { } secret)
        {
            // EFAIL: every part was sanitised on its own, so the secret is text, not part of a URL.
            Assert.True(await frame.EvaluateAsync<bool>("s => document.body.innerText.includes(s)", secret), "The EFAIL secret should be shown as text.");
        }

        Assert.True(problems.Count == 0, $"{name} ({hostile.Vector}):\n" + string.Join('\n', problems));
        await watch.AssertCleanAsync(page, _canary, $"{name} on the message page");

        // The inbox lists the message (subject, sender) without letting its headers act either.
        await page.GotoAsync(_host.BaseUrl + "/inbox");
        await page.WaitForTimeoutAsync(300);
        Assert.Empty(await DomInspection.PageProblemsAsync(page));
        await watch.AssertCleanAsync(page, _canary, $"{name} on the inbox");
    }

    [Fact]
    public async Task HeaderPayloads_AreShownAsText()
    {
        var ingested = await PortalApi.IngestAsync(_host, HostileMail.Find("headers").Build(_canary.BaseUrl));
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, ingested.LinkFor(HostileMail.Recipient), HostileMail.Recipient);

        Assert.StartsWith("<script>window.pwned=", await page.Locator("h1.message-subject").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("\"><img src=", await page.Locator(".message-headers").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("\"><img src=x onerror=pwn('filename')>.pdf", await page.Locator(".attachment-list").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainTextBody_IsShownAsText()
    {
        var ingested = await PortalApi.IngestAsync(_host, HostileMail.Find("plain-text").Build(_canary.BaseUrl));
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, ingested.LinkFor(HostileMail.Recipient), HostileMail.Recipient);

        var frame = await Pages.BodyFrameAsync(page);
        var text = await Pages.PollAsync<string>(frame, "() => document.body.innerText", "the text body");
        Assert.Contains("<script>window.pwned='plain-script'", text, StringComparison.Ordinal);
        Assert.Equal(0, await frame.EvaluateAsync<int>("() => document.querySelectorAll('body script, body img, body a').length"));
    }

    [Fact]
    public async Task RemoteImages_StayBlocked_AndTheReaderIsTold()
    {
        var ingested = await PortalApi.IngestAsync(_host, HostileMail.Find("remote-images").Build(_canary.BaseUrl));
        await using var context = await browser.NewContextAsync();
        var watch = await LeakWatch.AttachAsync(context, _host.BaseUrl);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, ingested.LinkFor(HostileMail.Recipient), HostileMail.Recipient);
        var frame = await Pages.BodyFrameAsync(page);

        // The notice offers "show images" (not clicked here), and the images wait in inert attributes.
        Assert.Equal(1, await page.Locator($".images-note a[href='/messages/{ingested.Id}?images=1']").CountAsync());
        Assert.True(await frame.EvaluateAsync<int>("() => document.querySelectorAll('[data-ome-remote-src]').length") >= 2);
        Assert.Equal(0, await frame.EvaluateAsync<int>("() => [...document.images].filter(i => i.currentSrc && !i.currentSrc.startsWith(location.origin)).length"));
        await page.WaitForTimeoutAsync(500);
        await watch.AssertCleanAsync(page, _canary, "remote images");
    }
}
