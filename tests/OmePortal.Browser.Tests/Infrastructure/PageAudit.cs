using System.Text;
using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// Checks every page a test walks through and reports all findings at the end (one run shows every
/// problem, not just the first): axe-core WCAG 2.1 A/AA at a desktop size and at 375×667, no
/// sideways scrolling at 375×667, and the document language the reader asked for.
/// </summary>
public sealed class PageAudit(IPage page, string language)
{
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 900 };
    public static readonly ViewportSize Phone = new() { Width = 375, Height = 667 };

    private readonly StringBuilder _findings = new();
    private readonly List<string> _checked = [];

    public IReadOnlyList<string> Checked => _checked;

    /// <summary>Opens <paramref name="url"/>, expects <paramref name="status"/>, and audits the page.</summary>
    public async Task VisitAsync(string label, string url, int status = 200)
    {
        var response = await page.GotoAsync(url);
        if (response?.Status != status)
        {
            _findings.AppendLine($"- {label}: expected HTTP {status}, got {response?.Status} for {url}");
        }

        await CurrentAsync(label);
    }

    /// <summary>Audits the page as it is now.</summary>
    public async Task CurrentAsync(string label)
    {
        _checked.Add(label);
        var lang = await page.EvaluateAsync<string>("() => document.documentElement.lang");
        if (!string.Equals(lang, language, StringComparison.OrdinalIgnoreCase))
        {
            _findings.AppendLine($"- {label}: <html lang=\"{lang}\">, expected \"{language}\" ({page.Url})");
        }

        await AxeAsync(label + " (1280×900)");
        await page.SetViewportSizeAsync(Phone.Width, Phone.Height);
        try
        {
            var overflow = await Pages.HorizontalOverflowAsync(page);
            if (overflow > 0)
            {
                _findings.AppendLine($"- {label}: scrolls sideways by {overflow}px at 375×667 ({page.Url}); widest: {await Pages.WidestElementsAsync(page)}");
            }

            await AxeAsync(label + " (375×667)");
        }
        finally
        {
            await page.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
        }
    }

    public void AssertClean()
    {
        if (_findings.Length > 0)
        {
            Assert.Fail($"Pages checked in '{language}': {string.Join(", ", _checked)}\n{_findings}");
        }
    }

    private async Task AxeAsync(string label)
    {
        var violations = await Axe.RunAsync(page);
        if (violations.Count > 0)
        {
            _findings.AppendLine($"- {label} ({page.Url}): {violations.Count} axe violation(s)");
            _findings.Append(Axe.Describe(violations));
        }
    }
}
