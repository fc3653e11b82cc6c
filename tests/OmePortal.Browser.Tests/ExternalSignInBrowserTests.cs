using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;
using OmePortal.Web.Access.External;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Microsoft sign-in in Chromium against the local OpenID Connect provider: the button, the refusal
/// page and the passkey offer pass axe-core in English and Dutch, and a real sign-in under the
/// portal's own CSP ends on the message page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ExternalSignInBrowserTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "reader@example.nl";
    private const string ClientId = "omeportal-browser";
    private const string ClientSecret = "local-browser-secret";
    private LocalOidcProvider _idp = null!;
    private PortalHost _host = null!;

    public async Task InitializeAsync()
    {
        _idp = await LocalOidcProvider.StartAsync();
        var issuer = _idp.Issuer;
        _host = await new PortalHost(settings: new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = _idp.Instance,
            ["AzureAd:TenantId"] = _idp.TenantId,
            ["AzureAd:ClientId"] = ClientId,
            ["AzureAd:ClientSecret"] = ClientSecret,
            ["AzureAd:RequireHttpsMetadata"] = "false",
        })
        {
            ServiceOverrides = services => services.PostConfigure<OpenIdConnectOptions>(ExternalProviders.MicrosoftScheme, o =>
                o.TokenValidationParameters.ValidIssuers = [issuer]),
        }.StartAsync();
        await _idp.RegisterClientAsync(ClientId, ClientSecret, _host.BaseUrl + "/signin-oidc");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task MicrosoftButton_RefusalPage_AndPasskeyOffer_PassAxe(string language, string locale)
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Readable body", Mails.PdfLike(1024)));
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);

        await audit.VisitAsync("link page with the Microsoft button", message.LinkFor(Reader));
        var button = page.Locator("form[action='/signin/external/microsoft'] button[type=submit]");
        Assert.True(await button.IsVisibleAsync());

        _idp.NextIdentity = new LocalOidcIdentity("someone.else@example.nl", EmailVerified: true);
        await button.ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/external/refused\\?"));
        Assert.Contains(Reader, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        await audit.CurrentAsync("refusal page (another address)");

        await audit.VisitAsync("sign-in page with the Microsoft button", _host.BaseUrl + "/signin");
        await page.GotoAsync(message.LinkFor(Reader));
        _idp.NextIdentity = new LocalOidcIdentity(Reader, EmailVerified: true);
        await page.Locator("form[action='/signin/external/microsoft'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}$"));
        Assert.True(await page.Locator(".passkey-offer").IsVisibleAsync());
        await audit.CurrentAsync("message page with the passkey offer");

        audit.AssertClean();
    }

    [Fact]
    public async Task MicrosoftSignIn_UnderTheRealCsp_EndsOnTheMessage_AndTheOfferCanBeDismissed()
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "Readable body", Mails.PdfLike(1024)));
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        _idp.NextIdentity = new LocalOidcIdentity(Reader, EmailVerified: true);

        await page.GotoAsync(message.LinkFor(Reader));
        await page.Locator("form[action='/signin/external/microsoft'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}$"));
        await Pages.BodyFrameAsync(page);

        await page.Locator(".passkey-offer a.passkey-offer-dismiss").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}$"));
        Assert.Equal(0, await page.Locator(".passkey-offer").CountAsync());
    }
}
