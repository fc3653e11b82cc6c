using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// The message trace and the audit log in the browser: a tenant admin signs in with password + TOTP,
/// finds a message that a recipient read, opens its trace and the audit log; every page (with and
/// without filter errors) passes axe-core in English and Dutch at a laptop and a tablet size.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TraceAuditTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "trace-reader@example.nl";
    private static readonly ViewportSize Tablet = new() { Width = 768, Height = 1024 };

    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task SignInAsync(IPage page) => AdminFlow.SignInNewTenantAdminAsync(page, _host);

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task TraceAndAuditPages_PassAxe(string language, string locale)
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Traced", Mails.PdfLike(64)));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Reader, message.Id);
        await using (var reader = await browser.NewContextAsync(locale: locale))
        {
            var readerPage = await reader.NewPageAsync();
            await RecipientFlow.SignInFromLinkAsync(readerPage, _host, link, Reader);
        }

        await using var context = await browser.NewContextAsync(locale: locale, viewport: new ViewportSize { Width = 1280, Height = 900 }, bypassCsp: true);
        var page = await context.NewPageAsync();
        await SignInAsync(page);
        var findings = new System.Text.StringBuilder();

        await VisitAsync(page, findings, language, "trace search", "/admin/trace");
        await page.Locator("#recipient").FillAsync("trace-reader");
        await page.Locator("form.filters button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("recipient=trace-reader"));
        await Assertions.Expect(page.Locator($"tr[data-message='{message.Id}']")).ToHaveCountAsync(1);
        await CheckAsync(page, findings, language, "trace results");
        await page.Locator($"tr[data-message='{message.Id}'] a").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/admin/trace/{message.Id}$"));
        await Assertions.Expect(page.Locator($"tr[data-recipient='{Reader}'] td[data-status='signin']")).ToHaveAttributeAsync("data-value", "passcode");
        await CheckAsync(page, findings, language, "message trace");
        await VisitAsync(page, findings, language, "trace with a bad date", "/admin/trace?from=31-12-2026", status: 400);
        await VisitAsync(page, findings, language, "audit log", "/admin/audit");
        await VisitAsync(page, findings, language, "audit log of the message", $"/admin/audit?message={message.Id}&kind=SignedIn");
        await Assertions.Expect(page.Locator("tr[data-kind='SignedIn']")).ToHaveCountAsync(1);
        await VisitAsync(page, findings, language, "audit log with a bad id", "/admin/audit?message=nope", status: 400);

        if (findings.Length > 0)
        {
            Assert.Fail($"Trace and audit pages in '{language}':\n{findings}");
        }
    }

    private async Task VisitAsync(IPage page, System.Text.StringBuilder findings, string language, string label, string path, int status = 200)
    {
        var response = await page.GotoAsync(_host.BaseUrl + path);
        if (response?.Status != status)
        {
            findings.AppendLine($"- {label}: HTTP {response?.Status} for {path}, expected {status}");
        }

        await CheckAsync(page, findings, language, label);
    }

    /// <summary>axe-core (WCAG 2.1 A/AA) at a laptop and a tablet size, no sideways scrolling on the tablet, and the document language.</summary>
    private static async Task CheckAsync(IPage page, System.Text.StringBuilder findings, string language, string label)
    {
        var lang = await page.EvaluateAsync<string>("() => document.documentElement.lang");
        if (!string.Equals(lang, language, StringComparison.OrdinalIgnoreCase))
        {
            findings.AppendLine($"- {label}: <html lang=\"{lang}\">, expected \"{language}\"");
        }

        foreach (var size in new[] { new ViewportSize { Width = 1280, Height = 900 }, Tablet })
        {
            await page.SetViewportSizeAsync(size.Width, size.Height);
            var violations = await Axe.RunAsync(page);
            if (violations.Count > 0)
            {
                findings.AppendLine($"- {label} ({size.Width}×{size.Height}, {page.Url}): {violations.Count} axe violation(s)");
                findings.Append(Axe.Describe(violations));
            }

            if (size == Tablet && await Pages.HorizontalOverflowAsync(page) is > 0 and var overflow)
            {
                findings.AppendLine($"- {label}: scrolls sideways by {overflow}px at {size.Width}px ({page.Url})");
            }
        }

        await page.SetViewportSizeAsync(1280, 900);
    }
}
