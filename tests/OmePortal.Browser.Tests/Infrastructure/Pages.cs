using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>Small browser-side helpers shared by the tests.</summary>
public static class Pages
{
    public const string BodyFrameSelector = "iframe.mail-frame";

    /// <summary>The message page's sandboxed body frame, once its document has loaded.</summary>
    public static async Task<IFrame> BodyFrameAsync(IPage page)
    {
        var element = await page.WaitForSelectorAsync(BodyFrameSelector, new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        var frame = await element!.ContentFrameAsync() ?? throw new InvalidOperationException("The body frame has no document.");
        await frame.WaitForLoadStateAsync(LoadState.Load);
        return frame;
    }

    /// <summary>
    /// Polls <paramref name="predicate"/> (a JS function returning a truthy value) in <paramref name="frame"/>
    /// from the test side: the sandboxed body frame may not run script, so the page cannot poll itself.
    /// </summary>
    public static async Task<T> PollAsync<T>(IFrame frame, string predicate, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = await frame.EvaluateAsync<T>(predicate);
            if (value is not null && !EqualityComparer<T>.Default.Equals(value, default!))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited in vain for {what} in {frame.Url}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Downloads what <paramref name="link"/> points at by moving the mouse onto it and clicking, as a
    /// person does.
    /// </summary>
    /// <remarks>
    /// With Debian's Chromium 156 a bare Playwright click (one synthetic move straight into a press)
    /// on the first attachment link of a message page was swallowed: no request left the browser and
    /// no download began, while a second click, a JavaScript click or a hover first all worked. The
    /// page has no script; the sandboxed body frame above the link runs in a process of its own, which
    /// is the likely cause. The hover keeps the test on the path a real pointer takes.
    /// </remarks>
    public static async Task<IDownload> DownloadAsync(IPage page, ILocator link)
    {
        await link.HoverAsync();
        return await page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
    }

    /// <summary>How far the document is wider than the viewport (0 when it does not scroll sideways).</summary>
    public static Task<int> HorizontalOverflowAsync(IPage page) =>
        page.EvaluateAsync<int>("() => Math.max(0, document.scrollingElement.scrollWidth - window.innerWidth)");

    /// <summary>The elements that stick out past the right edge of the viewport, for a readable failure.</summary>
    public static Task<string> WidestElementsAsync(IPage page) =>
        page.EvaluateAsync<string>(
            """
            () => [...document.querySelectorAll('body *')]
              .map(e => ({ e, r: e.getBoundingClientRect().right }))
              .filter(x => x.r > window.innerWidth + 0.5)
              .sort((a, b) => b.r - a.r).slice(0, 5)
              .map(x => x.e.tagName.toLowerCase() + (x.e.className && typeof x.e.className === 'string' ? '.' + x.e.className.trim().split(/\s+/).join('.') : '') + ' right=' + Math.round(x.r))
              .join(', ')
            """);
}
