using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OmePortal.Browser.Tests.Infrastructure;
using OmePortal.Testing;

namespace OmePortal.Browser.Tests;

/// <summary>
/// No dead ends on the way in (issue 20, items 6 and 8), in Chromium, in both languages, axe clean at phone and
/// desktop size: a spent passcode offers a new one for the same address, the resend wait counts down to its
/// button, a refresh posts nothing, pages of links that no longer open give the next step, the passkey offer shows
/// once, sign-out is one click, and the passcode field has the focus.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NoDeadEndsTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Sender = "sender@contoso.test";
    private const int ResendSeconds = 10;
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(settings: new Dictionary<string, string?>
    {
        ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000",
        ["OmePortal:Passcodes:ResendInterval"] = TimeSpan.FromSeconds(ResendSeconds).ToString(),
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<IngestedMessage> IngestAsync(string to) =>
        PortalApi.IngestAsync(_host, TestMessages.WithMarkers("no dead ends", "nde-html", "nde-text", "nde-file", to));

    private async Task<int> PasscodeMailsToAsync(string address) =>
        (await Outbox.AllAsync(_host)).Count(m => m.Headers["X-OmePortal-Mail-Kind"] == "passcode"
            && m.To.Mailboxes.Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Enters <paramref name="code"/> and waits for the page that answers (the code page again, by GET).</summary>
    private static async Task SubmitCodeAsync(IPage page, string code)
    {
        await page.Locator("input[name='Input.Code']").FillAsync(code);

        // The answer may have the same URL: wait for a new document instead.
        await page.EvaluateAsync("() => { window.omeBeforeSubmit = true; }");
        await page.Locator("main form.passcode-form button[type=submit]").ClickAsync();
        await page.WaitForFunctionAsync("() => !window.omeBeforeSubmit && document.readyState === 'complete'");
    }

    [Theory]
    [InlineData("en", "en-GB", "You can try 4 more times.", "We can send a new passcode to")]
    [InlineData("nl", "nl-NL", "U kunt het nog 4 keer proberen.", "We kunnen een nieuwe toegangscode sturen naar")]
    public async Task WrongCodeUntilBurned_OffersANewCodeForTheSameAddress_AfterTheCountdown(string language, string locale, string fourLeft, string newCodeFor)
    {
        var reader = $"burned-{language}@example.nl";
        var message = await IngestAsync(reader);
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);

        await page.GotoAsync(message.LinkFor(reader));
        await page.Locator("form[action*='handler=Passcode'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        var codePage = page.Url;

        // The field has the focus; the wait is counted down and the button hidden until it may be used.
        Assert.Equal("Input.Code", await page.EvaluateAsync<string>("() => document.activeElement && document.activeElement.name"));
        var wait = page.Locator(".resend-wait");
        await Assertions.Expect(wait).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".resend-button")).ToBeHiddenAsync();
        var first = await wait.InnerTextAsync();
        await Assertions.Expect(wait).Not.ToHaveTextAsync(first, new() { Timeout = 3000 });
        Assert.Contains(await PasscodeSenderAsync(reader), await page.Locator(".no-mail-help").InnerTextAsync(), StringComparison.Ordinal);
        await audit.CurrentAsync("passcode page counting down");
        await Assertions.Expect(page.Locator(".resend-button")).ToBeVisibleAsync(new() { Timeout = (ResendSeconds + 5) * 1000 });
        await Assertions.Expect(wait).ToBeHiddenAsync();
        await audit.CurrentAsync("passcode page with the new-code button");

        // A wrong code: back on the code page by GET; a refresh shows the same and takes no try.
        await SubmitCodeAsync(page, "00000000");
        Assert.Equal(codePage, page.Url);
        await Assertions.Expect(page.Locator("#code-error")).ToContainTextAsync(fourLeft);
        var methods = new List<string>();
        page.Request += (_, request) => methods.Add(request.Method);
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#code-error")).ToContainTextAsync(fourLeft);
        Assert.DoesNotContain("POST", methods);
        await audit.CurrentAsync("passcode page after a wrong code");

        for (var i = 0; i < 4; i++)
        {
            await SubmitCodeAsync(page, "00000000");
        }

        // Spent: the page names the address and sends a new code there, with no retyping.
        Assert.Equal(0, await page.Locator("input[name='Input.Code']").CountAsync());
        Assert.Contains(newCodeFor + " " + reader, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator(".resend-button")).ToBeVisibleAsync(new() { Timeout = (ResendSeconds + 5) * 1000 });
        await audit.CurrentAsync("spent passcode page");
        await page.Locator(".resend-button").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/signin/code?challenge=", StringComparison.Ordinal) && url != codePage);
        Assert.Equal(2, await PasscodeMailsToAsync(reader));
        await RecipientFlow.EnterPasscodeAsync(page, _host, reader);
        await page.WaitForURLAsync(new Regex($"/messages/{message.Id}$"));

        audit.AssertClean();
    }

    /// <summary>The From address of the passcode mail to <paramref name="address"/>, as a mail program shows it.</summary>
    private async Task<string> PasscodeSenderAsync(string address)
    {
        for (var i = 0; i < 200; i++)
        {
            var mail = (await Outbox.AllAsync(_host)).FirstOrDefault(m => m.Headers["X-OmePortal-Mail-Kind"] == "passcode"
                && m.To.Mailboxes.Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase)));
            if (mail is not null)
            {
                return mail.From.Mailboxes.Single().Address;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No passcode mail to {address}.");
    }

    [Fact]
    public async Task RefreshAfterAskingForACode_PostsNothing_AndSendsNoSecondMail()
    {
        const string reader = "refresh@example.nl";
        const string inboxReader = "refresh-inbox@example.nl";
        var message = await IngestAsync(reader);
        await IngestAsync(inboxReader);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var methods = new List<string>();
        page.Request += (_, request) => methods.Add($"{request.Method} {new Uri(request.Url).AbsolutePath}");

        await page.GotoAsync(message.LinkFor(reader));
        await page.Locator("form[action*='handler=Passcode'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        methods.Clear();
        await page.ReloadAsync();
        await page.ReloadAsync();
        Assert.All(methods, m => Assert.StartsWith("GET ", m, StringComparison.Ordinal));

        await page.GotoAsync(_host.BaseUrl + "/signin");
        await page.Locator("input[name='Input.Address']").FillAsync(inboxReader);
        await page.Locator("main form button[type=submit]").First.ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        methods.Clear();
        await page.ReloadAsync();
        Assert.All(methods, m => Assert.StartsWith("GET ", m, StringComparison.Ordinal));

        // The dispatcher has had time to send anything a re-post would have queued.
        await PasscodeSenderAsync(inboxReader);
        await Task.Delay(1000);
        Assert.Equal(1, await PasscodeMailsToAsync(reader));
        Assert.Equal(1, await PasscodeMailsToAsync(inboxReader));
    }

    [Theory]
    [InlineData("en", "en-GB", "Sign in to see your other messages", "It expired on ", "See your other messages")]
    [InlineData("nl", "nl-NL", "Meld u aan om uw andere berichten te zien", "Het is verlopen op ", "Uw andere berichten bekijken")]
    public async Task ExpiredRevokedAndUnknownLinks_OfferTheNextStep(string language, string locale, string signIn, string expiredOn, string otherMessages)
    {
        var reader = $"gone-{language}@example.nl";
        var expired = await IngestAsync(reader);
        var revoked = await IngestAsync(reader);
        var live = await IngestAsync(reader);
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        await RecipientFlow.SignInFromLinkAsync(page, _host, live.LinkFor(reader), reader);
        await PortalData.ExpireAsync(_host, expired.Id);
        await PortalData.RevokeAsync(_host, revoked.Id, reader);
        var audit = new PageAudit(page, language);

        // Not signed in (the link opened in another browser): the next step is signing in.
        await using (var anonymousContext = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true))
        {
            var anonymous = await anonymousContext.NewPageAsync();
            var anonymousAudit = new PageAudit(anonymous, language);
            await anonymousAudit.VisitAsync("expired link page", expired.LinkFor(reader), 410);
            var main = await anonymous.Locator("main").InnerTextAsync();
            Assert.Contains(Sender, main, StringComparison.Ordinal);
            Assert.Contains(expiredOn, main, StringComparison.Ordinal);
            Assert.Equal(signIn, await anonymous.Locator("main a.button[href='/signin']").InnerTextAsync());

            await anonymousAudit.VisitAsync("revoked link page", revoked.LinkFor(reader), 410);
            Assert.Contains(Sender, await anonymous.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal(signIn, await anonymous.Locator("main a.button[href='/signin']").InnerTextAsync());

            await anonymousAudit.VisitAsync("unknown link page", _host.BaseUrl + "/m/" + new string('Q', 43), 404);
            Assert.DoesNotContain("contoso", await anonymous.Locator("main").InnerTextAsync(), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(signIn, await anonymous.Locator("main a.button[href='/signin']").InnerTextAsync());
            anonymousAudit.AssertClean();
        }

        // Signed in, the same link pages lead to the inbox.
        await audit.VisitAsync("expired link page, signed in", expired.LinkFor(reader), 410);
        Assert.Equal(otherMessages, await page.Locator("main a.button[href='/inbox']").InnerTextAsync());

        // Signed in, the message's own page says the same and leads to the other messages.
        await audit.VisitAsync("expired message page", $"{_host.BaseUrl}/messages/{expired.Id}", 410);
        Assert.Contains(expiredOn, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(otherMessages, await page.Locator("main a.button[href='/inbox']").InnerTextAsync());
        await page.Locator("main a.button[href='/inbox']").ClickAsync();
        await page.WaitForURLAsync(new Regex("/inbox$"));

        audit.AssertClean();
    }

    [Theory]
    [InlineData("en", "en-GB", "Create a passkey")]
    [InlineData("nl", "nl-NL", "Passkey maken")]
    public async Task PasskeyOfferShowsOnce_AndSignOutIsOneClick(string language, string locale, string createPasskey)
    {
        var reader = $"once-{language}@example.nl";
        var message = await IngestAsync(reader);
        await using var context = await browser.NewContextAsync(locale: locale, viewport: PageAudit.Desktop, bypassCsp: true);
        var page = await context.NewPageAsync();
        var audit = new PageAudit(page, language);

        await RecipientFlow.SignInFromLinkAsync(page, _host, message.LinkFor(reader), reader);
        await Assertions.Expect(page.Locator(".passkey-offer")).ToBeVisibleAsync();
        await audit.CurrentAsync("message page with the passkey offer");

        await audit.VisitAsync("inbox after the offer", _host.BaseUrl + "/inbox");
        Assert.Equal(0, await page.Locator(".passkey-offer").CountAsync());
        await page.GotoAsync($"{_host.BaseUrl}/messages/{message.Id}");
        Assert.Equal(0, await page.Locator(".passkey-offer").CountAsync());
        Assert.Equal(createPasskey, await page.Locator("header a[href='/security']").InnerTextAsync());

        // One click in the header ends the session.
        await page.Locator("header form[action^='/signout'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signout(\\?brand=[0-9a-f]+)?$"));
        Assert.Equal(0, await page.Locator("header .session").CountAsync());
        await audit.CurrentAsync("signed out in one click");
        var response = await page.GotoAsync($"{_host.BaseUrl}/messages/{message.Id}");
        Assert.Matches(new Regex("/signin\\?"), page.Url);
        Assert.Equal(200, response?.Status);

        audit.AssertClean();
    }

    [Fact]
    public async Task Countdown_RunsUnderTheRealCsp()
    {
        const string reader = "csp-countdown@example.nl";
        var message = await IngestAsync(reader);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var blocked = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                blocked.Add(m.Text);
            }
        };

        await page.GotoAsync(message.LinkFor(reader));
        await page.Locator("form[action*='handler=Passcode'] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/signin/code\\?"));
        await Assertions.Expect(page.Locator(".resend-button")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator(".resend-button")).ToBeVisibleAsync(new() { Timeout = (ResendSeconds + 5) * 1000 });
        Assert.Empty(blocked);
    }
}
