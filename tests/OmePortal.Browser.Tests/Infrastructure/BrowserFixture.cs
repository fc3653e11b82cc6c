using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// One headless Debian Chromium per test collection; every test gets its own context (cookies,
/// storage and event handlers of one test never leak into another).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not been launched.");

    public async Task InitializeAsync()
    {
        // Resolve both prerequisites up front so a missing one fails every test with a clear message.
        var chromium = BrowserEnvironment.ChromiumPath;
        _ = BrowserEnvironment.AxePath;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        });
    }

    /// <summary>
    /// A fresh context. <paramref name="bypassCsp"/> is only for the accessibility checks, which inject
    /// axe-core into pages whose CSP (script-src 'self') would refuse it; the behaviour tests always run
    /// under the portal's real CSP.
    /// </summary>
    public Task<IBrowserContext> NewContextAsync(string? locale = null, ViewportSize? viewport = null, bool bypassCsp = false) =>
        Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale ?? "en-GB",
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 },
            BypassCSP = bypassCsp,
            AcceptDownloads = true,
            ServiceWorkers = ServiceWorkerPolicy.Block,
        });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
