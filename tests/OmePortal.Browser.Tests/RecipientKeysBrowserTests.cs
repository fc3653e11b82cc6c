using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;
using OmePortal.Testing.Interop;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Issue 22 in Chromium with axe-core: the admin's recipient key directory (/admin/recipient-keys) and the
/// recipient's own keys on /security, in English and Dutch, on a phone and a desktop. The keys are made by gpg
/// and openssl once for the class; one portal serves both languages.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RecipientKeysBrowserTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string AdminPath = "/admin/recipient-keys";
    private readonly RecipientTestKeys _keys = new();
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _keys.Dispose();
    }

    [Fact]
    public async Task KeyPages_ForAdminAndRecipient_WorkAndPassAxe_InBothLanguages_OnPhoneAndDesktop()
    {
        var findings = new List<string>();
        await AdminUploadsAndTrustsAsync(findings);
        foreach (var (language, locale) in new[] { ("en", "en-GB"), ("nl", "nl-NL") })
        {
            await AdminPageInLanguageAsync(language, locale, findings);
            await RecipientManagesOwnKeyAsync(language, locale, findings);
        }

        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    /// <summary>The admin's actions, once (the tenant keeps them): upload, refusal with reason, statuses, trust anchor.</summary>
    private async Task AdminUploadsAndTrustsAsync(List<string> findings)
    {
        await using var context = await browser.NewContextAsync(locale: "en-GB", viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, "en");
        await AdminFlow.SignInNewTenantAdminAsync(page, _host);

        await audit.VisitAsync("recipient keys empty", _host.BaseUrl + AdminPath);
        Assert.Equal(1, await page.Locator("[data-empty]").CountAsync());

        await page.Locator("#files").SetInputFilesAsync(new[]
        {
            new FilePayload { Name = "bob.asc", MimeType = "application/pgp-keys", Buffer = _keys.PgpForSmimeAddress },
            new FilePayload { Name = "bob.pem", MimeType = "application/x-pem-file", Buffer = _keys.SmimePem },
            new FilePayload { Name = "expired.asc", MimeType = "application/pgp-keys", Buffer = _keys.PgpExpired },
        });
        await page.Locator("form[action*='handler=Upload'] button[type=submit]").ClickAsync();
        await page.Locator("[data-outcomes]").WaitForAsync();

        var outcomes = page.Locator("[data-outcome]");
        Assert.Equal(3, await outcomes.CountAsync());
        Assert.Equal(2, await page.Locator("[data-outcome='accepted']").CountAsync());
        var refused = page.Locator("[data-outcome='refused']");
        Assert.Contains("expired.asc", await refused.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("expired", (await refused.InnerTextAsync()).Replace("expired.asc", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(await refused.IsVisibleAsync());

        var rows = page.Locator("[data-table='recipient-keys'] tr[data-fingerprint]");
        Assert.Equal(2, await rows.CountAsync());
        var smimeRow = page.Locator("[data-table='recipient-keys'] tr[data-status='Untrusted']");
        Assert.Equal(1, await smimeRow.CountAsync());
        Assert.Contains("trust anchor", await smimeRow.Locator("[data-reason]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("[data-table='recipient-keys'] tr[data-status='Usable']").CountAsync());
        await audit.CurrentAsync("recipient keys after upload");

        await page.Locator("#anchor-file").SetInputFilesAsync(new FilePayload { Name = "ca.pem", MimeType = "application/x-pem-file", Buffer = _keys.CaPem });
        await page.Locator("form[action*='handler=Anchor'] button[type=submit]").ClickAsync();
        await page.Locator("[data-table='trust-anchors'] tr[data-anchor]").WaitForAsync();
        Assert.Equal(2, await page.Locator("[data-table='recipient-keys'] tr[data-status='Usable']").CountAsync());

        await page.Locator("#q").FillAsync(RecipientTestKeys.SmimeAddress);
        await page.Locator("form[role=search] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("\\?q="));
        Assert.Equal(2, await rows.CountAsync());
        await page.Locator("#q").FillAsync("nobody@else.test");
        await page.Locator("form[role=search] button[type=submit]").ClickAsync();
        await page.Locator("[data-empty]").WaitForAsync();

        Assert.True(await page.Locator("#signing-heading").IsVisibleAsync());
        Assert.Equal(1, await page.Locator("[data-no-signing]").CountAsync());
        Assert.True(await page.Locator("form[action*='handler=Signing'] #signing-file").IsVisibleAsync());
        Collect(audit, findings);
    }

    private async Task AdminPageInLanguageAsync(string language, string locale, List<string> findings)
    {
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);
        await AdminFlow.SignInNewTenantAdminAsync(page, _host);

        await audit.VisitAsync("recipient keys with anchor", _host.BaseUrl + AdminPath);
        Assert.Equal(2, await page.Locator("[data-table='recipient-keys'] tr[data-status='Usable']").CountAsync());
        Assert.Equal(1, await page.Locator("[data-table='trust-anchors'] tr[data-anchor]").CountAsync());
        Assert.True(await page.Locator("#signing-heading").IsVisibleAsync());
        Collect(audit, findings);
    }

    private async Task RecipientManagesOwnKeyAsync(string language, string locale, List<string> findings)
    {
        // A recipient of their own per language: a second passcode for one address within a minute is refused.
        var (address, publicKey) = language == "en" ? (RecipientTestKeys.PgpAddress, _keys.PgpPublic) : (RecipientTestKeys.PgpUidAddress, _keys.PgpUidRevoked);
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(address, "keys-" + language, Mails.PdfLike(256)));
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);
        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(address), address);

        await audit.VisitAsync("security without own keys", _host.BaseUrl + "/security");
        Assert.Equal(1, await page.Locator("[data-no-own-keys]").CountAsync());

        await page.Locator("#own-key-file").SetInputFilesAsync(new FilePayload { Name = "mine.asc", MimeType = "application/pgp-keys", Buffer = publicKey });
        await page.Locator("form.own-key-upload button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security\\?keys=added"));
        var key = page.Locator("[data-own-key]");
        Assert.Equal(1, await key.CountAsync());
        var fingerprint = await key.GetAttributeAsync("data-own-key");
        Assert.Equal("PGP/MIME", (await key.Locator("h3").InnerTextAsync()).Trim());
        await audit.CurrentAsync("security with own key");

        await key.Locator("form[action*='handler=Format'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security\\?keys="));
        key = page.Locator($"[data-own-key='{fingerprint}']");
        Assert.Equal("PGP/Inline", (await key.Locator("h3").InnerTextAsync()).Trim());
        await audit.CurrentAsync("security with own key inline");

        await key.Locator("form[action*='handler=Remove'] button[type=submit]").ClickAsync();
        await page.Locator("[data-no-own-keys]").WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-own-key]").CountAsync());
        Collect(audit, findings);
    }

    private static void Collect(PageAudit audit, List<string> findings)
    {
        try
        {
            audit.AssertClean();
        }
        catch (Xunit.Sdk.FailException failure)
        {
            findings.Add(failure.Message);
        }
    }
}
