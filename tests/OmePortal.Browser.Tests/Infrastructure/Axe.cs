using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// axe-core (WCAG 2.0/2.1 A and AA rules) run inside the page. The portal's CSP is
/// <c>script-src 'self'</c>, which refuses an injected script tag: the contexts that run axe are
/// created with <c>BypassCSP = true</c> (Playwright sets it through the DevTools protocol,
/// Page.setBypassCSP) — only for the accessibility checks, never for the behaviour tests.
/// </summary>
public static class Axe
{
    private static readonly string[] Tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    /// <summary>Runs axe on the current document of <paramref name="page"/> and fails with a readable list of violations.</summary>
    public static async Task AssertNoViolationsAsync(IPage page, string label)
    {
        var violations = await RunAsync(page);
        if (violations.Count > 0)
        {
            Assert.Fail($"axe-core found {violations.Count} violation(s) on {label} ({page.Url}):\n{Describe(violations)}");
        }
    }

    /// <summary>The violations axe reports for the current document.</summary>
    public static async Task<IReadOnlyList<AxeViolation>> RunAsync(IPage page)
    {
        var hasAxe = await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'");
        if (!hasAxe)
        {
            await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = BrowserEnvironment.AxePath });
        }

        // Frames are checked as documents of their own (the body frame is sandboxed without scripts,
        // so axe cannot run inside it from the parent); iframes:false keeps axe from waiting for them.
        var json = await page.EvaluateAsync<string>(
            """
            async (tags) => {
              const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, iframes: false, resultTypes: ['violations'] });
              return JSON.stringify(result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary }))
              })));
            }
            """,
            Tags);
        return JsonSerializer.Deserialize<List<AxeViolation>>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
    }

    public static string Describe(IEnumerable<AxeViolation> violations)
    {
        var text = new StringBuilder();
        foreach (var violation in violations)
        {
            text.AppendLine($"- [{violation.Impact}] {violation.Id}: {violation.Help} ({violation.HelpUrl})");
            foreach (var node in violation.Nodes)
            {
                text.AppendLine($"    at {node.Target}");
                text.AppendLine($"       {Shorten(node.Html)}");
                foreach (var line in (node.Summary ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    text.AppendLine($"       {line}");
                }
            }
        }

        return text.ToString();
    }

    private static string Shorten(string html) => html.Length <= 200 ? html : html[..200] + "…";
}

public sealed record AxeViolation(string Id, string? Impact, string Help, string HelpUrl, IReadOnlyList<AxeNode> Nodes);

public sealed record AxeNode(string Target, string Html, string? Summary);
