using System.Text;
using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// Checks every page a test walks through and reports all findings at the end (one run shows every
/// problem, not just the first): axe-core WCAG 2.1 A/AA at each viewport, no sideways scrolling at the
/// viewports narrower than the desktop, and the document language the reader asked for.
/// <para>
/// Recipient pages are audited at <see cref="Desktop"/> and <see cref="Phone"/> (the default); admin
/// pages, made for laptops and tablets, at <see cref="AdminViewports"/>. With
/// <c>OMEPORTAL_SCREENSHOTS</c> set (to a folder, or to 1 for TestResults/screenshots at the repository
/// root) every audited state is also saved as a PNG per viewport, for looking at the pages after a run.
/// </para>
/// </summary>
public sealed class PageAudit(IPage page, string language, IReadOnlyList<ViewportSize>? viewports = null)
{
    public const string ScreenshotsVariable = "OMEPORTAL_SCREENSHOTS";

    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };
    public static readonly ViewportSize Tablet = new() { Width = 768, Height = 1024 };

    /// <summary>The recipient's devices: a desktop and a phone.</summary>
    public static readonly IReadOnlyList<ViewportSize> RecipientViewports = [Desktop, Phone];

    /// <summary>The admin's devices: a desktop and a tablet.</summary>
    public static readonly IReadOnlyList<ViewportSize> AdminViewports = [Desktop, Tablet];

    private readonly IReadOnlyList<ViewportSize> _viewports = viewports ?? RecipientViewports;
    private readonly StringBuilder _findings = new();
    private readonly List<string> _checked = [];

    public IReadOnlyList<string> Checked => _checked;

    /// <summary>Where this audit saves its screenshots: <see cref="ScreenshotDirectory"/> unless a test always wants them somewhere.</summary>
    public string? Screenshots { get; init; } = ScreenshotDirectory;

    /// <summary>Where screenshots go, or null when none were asked for.</summary>
    public static string? ScreenshotDirectory => Environment.GetEnvironmentVariable(ScreenshotsVariable) switch
    {
        null or "" or "0" => null,
        "1" or "true" => Path.Combine(OmePortal.Testing.TestEnvironment.TryFindRepositoryRoot() ?? Directory.GetCurrentDirectory(), "TestResults", "screenshots"),
        var folder => folder,
    };

    /// <summary>Opens <paramref name="url"/>, expects <paramref name="status"/>, and audits the page.</summary>
    public async Task VisitAsync(string label, string url, int status = 200, bool checkLanguage = true)
    {
        var response = await page.GotoAsync(url);
        if (response?.Status != status)
        {
            _findings.AppendLine($"- {label}: expected HTTP {status}, got {response?.Status} for {url}");
        }

        await CurrentAsync(label, checkLanguage);
    }

    /// <summary>Audits the page as it is now, at every viewport, and leaves it at the first one.</summary>
    public async Task CurrentAsync(string label, bool checkLanguage = true)
    {
        _checked.Add(label);
        if (checkLanguage)
        {
            var lang = await page.EvaluateAsync<string>("() => document.documentElement.lang");
            if (!string.Equals(lang, language, StringComparison.OrdinalIgnoreCase))
            {
                _findings.AppendLine($"- {label}: <html lang=\"{lang}\">, expected \"{language}\" ({page.Url})");
            }
        }

        try
        {
            foreach (var size in _viewports)
            {
                await page.SetViewportSizeAsync(size.Width, size.Height);
                var at = $"{size.Width}×{size.Height}";
                if (size.Width < Desktop.Width)
                {
                    var overflow = await Pages.HorizontalOverflowAsync(page);
                    if (overflow > 0)
                    {
                        _findings.AppendLine($"- {label}: scrolls sideways by {overflow}px at {at} ({page.Url}); widest: {await Pages.WidestElementsAsync(page)}");
                    }
                }

                var violations = await Axe.RunAsync(page);
                if (violations.Count > 0)
                {
                    _findings.AppendLine($"- {label} ({at}, {page.Url}): {violations.Count} axe violation(s)");
                    _findings.Append(Axe.Describe(violations));
                }

                await ScreenshotAsync(label, size);
            }
        }
        finally
        {
            await page.SetViewportSizeAsync(_viewports[0].Width, _viewports[0].Height);
        }
    }

    public void AssertClean()
    {
        if (_findings.Length > 0)
        {
            Assert.Fail($"Pages checked in '{language}': {string.Join(", ", _checked)}\n{_findings}");
        }
    }

    private async Task ScreenshotAsync(string label, ViewportSize size)
    {
        if (Screenshots is not { } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        var name = new string([.. $"{language}-{label}-{size.Width}x{size.Height}".Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_')]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }
}
