using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>What the compose page's &lt;progress&gt; showed while a reply was uploading.</summary>
public sealed record ProgressSeen(IReadOnlyList<(double Value, double Max, bool Visible)> Samples)
{
    /// <summary>A visible bar strictly between empty and full: the upload was shown as it went.</summary>
    public bool SawPartial => Samples.Any(s => s.Visible && s.Max > 0 && s.Value > 0 && s.Value < s.Max);

    public string Describe() => Samples.Count == 0
        ? "none"
        : string.Join(" ", Samples.Select(s => $"{s.Value.ToString("0.##", CultureInfo.InvariantCulture)}/{s.Max.ToString("0.##", CultureInfo.InvariantCulture)}{(s.Visible ? string.Empty : "(hidden)")}").Distinct());
}

/// <summary>Sending the compose form with the upload slowed down, so the progress bar can be watched.</summary>
public static class ComposeUpload
{
    /// <summary>Upload bandwidth while sending (bytes per second): a 1.5 MB attachment then takes a few seconds.</summary>
    public const int UploadBytesPerSecond = 512 * 1024;

    /// <summary>
    /// Throttles the page's upload through the DevTools protocol (Network.emulateNetworkConditions),
    /// clicks the compose form's submit button, and samples the page's &lt;progress&gt; element from the
    /// test side until the page has navigated away (or 60 s pass).
    /// </summary>
    public static async Task<ProgressSeen> SubmitWatchingProgressAsync(IBrowserContext context, IPage page, string submitSelector = "main form button[type=submit]")
    {
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = 20,
            ["downloadThroughput"] = -1,
            ["uploadThroughput"] = UploadBytesPerSecond,
        });

        var startUrl = page.Url;
        var samples = new ConcurrentQueue<(double, double, bool)>();
        try
        {
            await page.Locator(submitSelector).ClickAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && page.Url == startUrl)
            {
                try
                {
                    var sample = await page.EvaluateAsync<double[]?>(
                        """
                        () => {
                          const p = document.querySelector('progress');
                          if (!p) return null;
                          const r = p.getBoundingClientRect();
                          const visible = !p.hidden && r.width > 0 && r.height > 0 && getComputedStyle(p).visibility !== 'hidden';
                          return [p.position >= 0 ? p.value : -1, p.max, visible ? 1 : 0];
                        }
                        """);
                    if (sample is { Length: 3 })
                    {
                        samples.Enqueue((sample[0], sample[1], sample[2] > 0));
                    }
                }
                catch (PlaywrightException)
                {
                    // The page navigated while being sampled: the upload is done.
                    break;
                }

                await Task.Delay(25);
            }
        }
        finally
        {
            try
            {
                await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
                {
                    ["offline"] = false,
                    ["latency"] = 0,
                    ["downloadThroughput"] = -1,
                    ["uploadThroughput"] = -1,
                });
                await cdp.DetachAsync();
            }
            catch (PlaywrightException)
            {
            }
        }

        return new ProgressSeen([.. samples]);
    }
}
