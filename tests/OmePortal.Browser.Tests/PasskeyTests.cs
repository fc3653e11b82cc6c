using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// Passkeys end to end (issue 4), with Chromium's virtual authenticator under the portal's real CSP:
/// created after a passcode sign-in, then the next visit signs in without any mail; a passkey only
/// ever signs in as its own address; a removed passkey or a counter gone back signs nobody in.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PasskeyTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Reader = "passkey.reader@example.nl";
    private const string Other = "someone.else@example.nl";
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost().StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Passkey_CreatedAfterPasscode_SignsInFromANewLinkWithoutAPasscodeMail()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var authenticator = await VirtualAuthenticator.AttachAsync(context, page);
        await SignInWithPasscodeAndCreatePasskeyAsync(page, Reader, "Werklaptop");

        var listed = page.Locator("li.passkey");
        Assert.Equal(1, await listed.CountAsync());
        Assert.Equal("Werklaptop", await listed.Locator(".passkey-name").InnerTextAsync());
        var held = Assert.Single(await authenticator.CredentialsAsync());
        Assert.Equal("localhost", held.RpId);

        await SignOutAsync(page);

        var marker = TestMessages.NewMarker("passkey-");
        var second = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, marker, Mails.PdfLike(256), subject: "Second visit"));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Reader, second.Id);
        var passcodeMailsBefore = await PasscodeMailCountAsync();

        await page.GotoAsync(link);
        await page.Locator("#passkey-signin-button").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/messages/{second.Id}$"));
        var frame = await Pages.BodyFrameAsync(page);
        Assert.Equal(marker, await Pages.PollAsync<string>(frame, "() => document.querySelector('.marker')?.textContent", "the body text"));

        // Signed in with the passkey: the header offers the security page, and no passcode mail went out.
        Assert.Contains(Reader, await page.Locator("header .session .who").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("Security", await page.Locator("header .session a[href='/security']").InnerTextAsync());
        await Task.Delay(500);
        Assert.Equal(passcodeMailsBefore, await PasscodeMailCountAsync());
        Assert.NotNull((await StoredPasskeyAsync(Reader)).LastUsedAt);
    }

    [Fact]
    public async Task Passkey_OfAddressX_FromALinkForY_DoesNotOpenYsMessage()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await VirtualAuthenticator.AttachAsync(context, page);
        await SignInWithPasscodeAndCreatePasskeyAsync(page, Reader, null);
        await SignOutAsync(page);

        var marker = TestMessages.NewMarker("not-yours-");
        var forOther = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Other, marker, Mails.PdfLike(256), subject: "For someone else"));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Other, forOther.Id);

        await page.GotoAsync(link);
        var navigated = page.WaitForResponseAsync(r => r.Request.IsNavigationRequest && r.Url.EndsWith($"/messages/{forOther.Id}", StringComparison.Ordinal));
        await page.Locator("#passkey-signin-button").ClickAsync();
        var response = await navigated;
        await page.WaitForLoadStateAsync();

        // The passkey signs in as its own address only; the message for the other address stays shut.
        Assert.Equal(404, response.Status);
        Assert.Contains(Reader, await page.Locator("header .session .who").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator(Pages.BodyFrameSelector).CountAsync());
        Assert.DoesNotContain(marker, await page.ContentAsync(), StringComparison.Ordinal);
        var body = await page.EvaluateAsync<int>($"async () => (await fetch('/messages/{forOther.Id}/body')).status");
        Assert.Equal(404, body);
    }

    [Fact]
    public async Task Passkey_Removed_NoLongerSignsIn()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var authenticator = await VirtualAuthenticator.AttachAsync(context, page);
        await SignInWithPasscodeAndCreatePasskeyAsync(page, Reader, "Telefoon");

        // Removing asks first and says what happens.
        await page.Locator("a.passkey-remove").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security/passkeys/[0-9a-f-]{36}/remove$"));
        Assert.Contains("Telefoon", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await CountPasskeysAsync());
        await page.Locator("main form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security\\?status=removed$"));
        Assert.Equal(0, await page.Locator("li.passkey").CountAsync());
        Assert.Equal(0, await CountPasskeysAsync());
        await SignOutAsync(page);

        // The authenticator still holds the credential and offers it; the portal no longer knows it.
        Assert.Single(await authenticator.CredentialsAsync());
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "after removal", Mails.PdfLike(256)));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, Reader, message.Id);
        await page.GotoAsync(link);
        await page.Locator("#passkey-signin-button").ClickAsync();
        await Assertions.Expect(page.Locator("#passkey-signin-status.is-error")).ToBeVisibleAsync();
        Assert.Contains("/m/", page.Url, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("header .session").CountAsync());
    }

    [Fact]
    public async Task Passkey_SignCounterGoneBack_IsRefused()
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await VirtualAuthenticator.AttachAsync(context, page);
        await SignInWithPasscodeAndCreatePasskeyAsync(page, Reader, null);
        await SignOutAsync(page);

        // The portal has seen a higher counter than the authenticator will send (a cloned authenticator).
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await db.PasskeyCredentials.ExecuteUpdateAsync(s => s.SetProperty(c => c.SignCount, 1000L));
        }

        await page.GotoAsync(_host.BaseUrl + "/signin");
        await page.Locator("#passkey-signin-button").ClickAsync();
        await Assertions.Expect(page.Locator("#passkey-signin-status.is-error")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("header .session").CountAsync());
        Assert.Equal(1000L, (await StoredPasskeyAsync(Reader)).SignCount);
    }

    [Theory]
    [InlineData("en", "en-GB")]
    [InlineData("nl", "nl-NL")]
    public async Task PasskeyPages_PassAxeAndFitAPhone(string language, string locale)
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(Reader, "axe", Mails.PdfLike(256)));
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await VirtualAuthenticator.AttachAsync(context, page);
        var audit = new PageAudit(page, language);

        await audit.VisitAsync("sign-in page with the passkey button", _host.BaseUrl + "/signin");
        Assert.True(await page.Locator("#passkey-signin-button").IsVisibleAsync());
        await audit.VisitAsync("link page with the passkey button", message.LinkFor(Reader));
        Assert.True(await page.Locator("#passkey-signin-button").IsVisibleAsync());

        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(Reader), Reader);
        await audit.VisitAsync("security page without passkeys", _host.BaseUrl + "/security");
        await page.Locator("#passkey-name").FillAsync("Laptop met een erg lange naam die op een telefoon moet passen zonder te schuiven");
        await page.Locator("#passkey-create-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security\\?status=created$"));
        await audit.CurrentAsync("security page with a passkey");
        await page.Locator("form.passkey-rename input[name=name]").FillAsync(string.Empty);
        await page.Locator("form.passkey-rename input[name=name]").EvaluateAsync("e => e.removeAttribute('required')");
        await page.Locator("form.passkey-rename button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await audit.CurrentAsync("security page with a rename error");
        await page.Locator("form.passkey-rename input[name=name]").FillAsync("Laptop");
        await page.Locator("form.passkey-rename button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security\\?status=renamed$"));
        Assert.Equal("Laptop", await page.Locator(".passkey-name").InnerTextAsync());
        await audit.CurrentAsync("security page after renaming");
        await page.Locator("a.passkey-remove").ClickAsync();
        await page.WaitForURLAsync(new Regex("/remove$"));
        await audit.CurrentAsync("remove passkey page");
        await audit.VisitAsync("unknown passkey page", $"{_host.BaseUrl}/security/passkeys/{Guid.NewGuid()}/remove", 404);

        audit.AssertClean();
    }

    private async Task SignInWithPasscodeAndCreatePasskeyAsync(IPage page, string address, string? name)
    {
        var message = await PortalApi.IngestAsync(_host, Mails.WithInlineImageAndAttachment(address, "first visit", Mails.PdfLike(256)));
        var link = await Outbox.WaitForNotificationLinkAsync(_host, address, message.Id);
        await RecipientFlow.SignInFromLinkAsync(page, _host, link, address);

        // After the passcode sign-in the header offers a passkey.
        var offer = page.Locator("header .session a[href='/security']");
        Assert.Equal("Create a passkey", await offer.InnerTextAsync());
        await offer.ClickAsync();
        await page.WaitForURLAsync(new Regex("/security$"));
        if (name is not null)
        {
            await page.Locator("#passkey-name").FillAsync(name);
        }

        await page.Locator("#passkey-create-button").ClickAsync();
        await page.WaitForURLAsync(new Regex("/security\\?status=created$"));
        Assert.Equal(address, (await StoredPasskeyAsync(address)).Address);
    }

    private static async Task SignOutAsync(IPage page)
    {
        // The header's sign-out is one click.
        await page.Locator("header form[action^='/signout'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signout(\\?brand=[0-9a-f]+)?$"));
        Assert.Equal(0, await page.Locator("header .session").CountAsync());
    }

    private async Task<int> PasscodeMailCountAsync() =>
        (await Outbox.AllAsync(_host)).Count(m => m.Headers["X-OmePortal-Mail-Kind"] == "passcode");

    private async Task<int> CountPasskeysAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().PasskeyCredentials.CountAsync();
    }

    private async Task<PasskeyCredential> StoredPasskeyAsync(string address)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().PasskeyCredentials.AsNoTracking().SingleAsync(c => c.Address == address);
    }
}
