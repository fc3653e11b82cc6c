using System.Net;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// No dead ends on the way in (issue 20, item 6): a spent passcode leads to a new one for the same address and link,
/// within the passcode throttles; a wrong code and a refresh never post twice; the resend wait is stated; pages of
/// links that no longer open give the next step, naming the sender only to the holder of a real link; sign-out
/// is one click but not from another site; the passkey offer shows once per sign-in.
/// </summary>
public abstract class NoDeadEndsTests : IAsyncLifetime
{
    private const string Sender = "afschriften@bank.contoso.test";
    private const string Reader = "klant@example.nl";
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => _host.DbAsync(query);

    private Task<int> PasscodeMailsAsync() => DbAsync(db => db.OutboundMails.CountAsync(m => m.Kind == OutboundMailKind.Passcode));

    /// <summary>Lets the resend interval pass for every challenge made so far, as if two minutes went by.</summary>
    private Task LetTheResendIntervalPassAsync()
    {
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-2);
        return DbAsync(db => db.PasscodeChallenges.ExecuteUpdateAsync(s => s.SetProperty(c => c.CreatedAt, earlier)));
    }

    private static async Task<string> AskForPasscodeAsync(RecipientBrowserlessClient client, string link)
    {
        using var requested = await client.PostFormAsync(new Uri(link).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        return requested.Headers.Location!.OriginalString;
    }

    private static async Task<HttpResponseMessage> EnterAsync(RecipientBrowserlessClient client, string codePage, string code) =>
        await client.PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = code });

    [Fact]
    public async Task WrongCode_RedirectsToTheCodePage_AndARefreshTakesNoSecondTry()
    {
        var message = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = RecipientBrowserlessClient.Anonymous(_host);
        var codePage = await AskForPasscodeAsync(reader, message.Link);

        using (var wrong = await EnterAsync(reader, codePage, "00000000"))
        {
            Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
            Assert.Equal(codePage, wrong.Headers.Location!.OriginalString);
        }

        // The reader's refresh is a GET of the code page: it shows the same error and compares no code.
        for (var i = 0; i < 3; i++)
        {
            var page = new PasscodePage(await reader.GetPageAsync(codePage));
            Assert.Equal(HttpStatusCode.OK, page.Status);
            Assert.Equal("That passcode is not right. You can try 4 more times.", page.Error);
        }

        Assert.Equal(1, await DbAsync(db => db.PasscodeChallenges.Select(c => c.FailedAttempts).SingleAsync()));
    }

    [Fact]
    public async Task BurnedCode_OffersANewCodeForTheSameAddressAndMessage_WithinTheThrottle()
    {
        var message = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = RecipientBrowserlessClient.Anonymous(_host);
        var codePage = await AskForPasscodeAsync(reader, message.Link);
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await EnterAsync(reader, codePage, "00000000");
            Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
        }

        var dead = new PasscodePage(await reader.GetPageAsync(codePage));
        Assert.True(dead.IsDead);
        Assert.Contains($"We can send a new passcode to {Reader}.", dead.Paragraphs);
        Assert.NotNull(dead.ResendAction);
        Assert.InRange(dead.ResendWaitSeconds ?? 0, 1, 60);
        Assert.Equal(1, await PasscodeMailsAsync());

        // Within the resend interval the passcode throttle holds: back to the same page, no challenge, no mail.
        using (var tooSoon = await reader.PostFormAsync(codePage, new Dictionary<string, string>(), handler: "Resend"))
        {
            Assert.Equal(HttpStatusCode.Redirect, tooSoon.StatusCode);
            Assert.Equal(codePage, tooSoon.Headers.Location!.OriginalString);
        }

        Assert.Equal(1, await DbAsync(db => db.PasscodeChallenges.CountAsync()));
        Assert.Equal(1, await PasscodeMailsAsync());

        await LetTheResendIntervalPassAsync();
        Assert.Null(new PasscodePage(await reader.GetPageAsync(codePage)).ResendWaitSeconds);
        using var resent = await reader.PostFormAsync(codePage, new Dictionary<string, string>(), handler: "Resend");
        Assert.Equal(HttpStatusCode.Redirect, resent.StatusCode);
        var newCodePage = resent.Headers.Location!.OriginalString;
        Assert.StartsWith("/signin/code?challenge=", newCodePage, StringComparison.Ordinal);
        Assert.NotEqual(codePage, newCodePage);

        var challenges = await DbAsync(db => db.PasscodeChallenges.OrderBy(c => c.Id).ToListAsync());
        Assert.Equal(2, challenges.Count);
        Assert.All(challenges, c => Assert.Equal((Reader, (Guid?)message.Id), (c.Address, c.MessageId)));
        Assert.Equal(2, await PasscodeMailsAsync());

        // The new code signs in and leads to the message of the link.
        var reference = new PasscodePage(await reader.GetPageAsync(newCodePage)).ReferenceCode!;
        using var signedIn = await EnterAsync(reader, newCodePage, await reader.WaitForPasscodeAsync(reference));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal($"/messages/{message.Id}", signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Resend_RespectsTheHourlyCap_AndTheCooldown()
    {
        await using var host = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Passcodes:MaxPerHour"] = "2" }).StartAsync();
        var message = await host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = RecipientBrowserlessClient.Anonymous(host);
        var first = await AskForPasscodeAsync(reader, message.Link);
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-2);
        await host.DbAsync(db => db.PasscodeChallenges.ExecuteUpdateAsync(s => s.SetProperty(c => c.CreatedAt, earlier)));
        using (var second = await reader.PostFormAsync(first, new Dictionary<string, string>(), handler: "Resend"))
        {
            Assert.StartsWith("/signin/code?challenge=", second.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        await host.DbAsync(db => db.PasscodeChallenges.ExecuteUpdateAsync(s => s.SetProperty(c => c.CreatedAt, earlier)));

        // Two in the last hour: a third waits for the hour to pass, and the page says so in minutes.
        using (var third = await reader.PostFormAsync(first, new Dictionary<string, string>(), handler: "Resend"))
        {
            Assert.Equal(first, third.Headers.Location!.OriginalString);
        }

        var page = new PasscodePage(await reader.GetPageAsync(first));
        Assert.InRange(page.ResendWaitSeconds ?? 0, 57 * 60, 58 * 60);
        Assert.Contains("You can ask for a new passcode in 58 minutes.", page.Texts(".resend-wait"));
        Assert.Equal(2, await host.DbAsync(db => db.PasscodeChallenges.CountAsync()));
    }

    [Fact]
    public async Task Resend_ForAnUnknownChallenge_LeadsToSignIn_AndSendsNothing()
    {
        await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var stranger = RecipientBrowserlessClient.Anonymous(_host);
        var guessed = $"/signin/code?challenge={Guid.NewGuid()}";

        // The page of an unknown challenge has no form of its own: the token comes from /signin.
        var page = new PasscodePage(await stranger.GetPageAsync(guessed));
        Assert.True(page.IsDead);
        Assert.Null(page.ResendAction);
        Assert.DoesNotContain(Reader, page.Html, StringComparison.Ordinal);

        using var resend = await stranger.PostFormAsync(guessed, new Dictionary<string, string>(), handler: "Resend", tokenPage: "/signin");
        Assert.Equal(HttpStatusCode.Redirect, resend.StatusCode);
        Assert.Equal("/signin", resend.Headers.Location!.OriginalString);
        Assert.Equal(0, await DbAsync(db => db.PasscodeChallenges.CountAsync()));
    }

    [Fact]
    public async Task CodePage_NamesTheRealSenderOfPasscodeMails_AndFocusesTheField()
    {
        var message = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = RecipientBrowserlessClient.Anonymous(_host);
        var page = new PasscodePage(await reader.GetPageAsync(await AskForPasscodeAsync(reader, message.Link)));
        await reader.WaitForPasscodeAsync(page.ReferenceCode!);
        var from = Directory.GetFiles(_host.OutboxDirectory, "*.eml")
            .Select(f => MimeKit.MimeMessage.Load(f))
            .Single(m => m.Headers["X-OmePortal-Mail-Kind"] == "passcode")
            .From.Mailboxes.Single().Address;
        Assert.Equal($"No email? Check your spam or junk folder. The passcode comes from {from}.", page.NoMailHelp);
        Assert.NotNull(page.Find("input[name='Input.Code'][autofocus]"));
    }

    [Theory]
    [InlineData("en-GB", "It expired on ", "Sign in to see your other messages")]
    [InlineData("nl-NL", "Het is verlopen op ", "Meld u aan om uw andere berichten te zien")]
    public async Task LinkPages_OfferTheNextStep_AndOnlyARealTokenNamesTheSender(string language, string expiredOn, string signIn)
    {
        var expired = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        var revoked = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        var expiredAt = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
        await DbAsync(db => db.Messages.Where(m => m.Id == expired.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiresAt, expiredAt)));
        await DbAsync(db => db.Recipients.Where(r => r.MessageId == revoked.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));

        using var client = _host.CreateHttpClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        async Task<LinkPage> OpenAsync(string path) => new(await HtmlPage.GetAsync(client, path));
        // The portal's cultures are "en" and "nl": the date is written as they write it.
        var culture = System.Globalization.CultureInfo.GetCultureInfo(language[..2]);

        var expiredPage = await OpenAsync(new Uri(expired.Link).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, expiredPage.Status);
        Assert.Contains(expiredPage.Paragraphs, p => p.Contains(Sender, StringComparison.Ordinal));
        Assert.Contains(expiredOn + expiredAt.UtcDateTime.ToString("D", culture) + ".", expiredPage.Paragraphs);
        Assert.Equal(signIn, expiredPage.Text("a.button[href='/signin']"));

        var revokedPage = await OpenAsync(new Uri(revoked.Link).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, revokedPage.Status);
        Assert.Contains(revokedPage.Paragraphs, p => p.Contains(Sender, StringComparison.Ordinal));
        Assert.Equal(signIn, revokedPage.Text("a.button[href='/signin']"));
        Assert.Null(revokedPage.Find(".expired-on"));

        var unknownPage = await OpenAsync("/m/" + new string('Q', 43));
        Assert.Equal(HttpStatusCode.NotFound, unknownPage.Status);
        Assert.Equal(signIn, unknownPage.Text("a.button[href='/signin']"));
        Assert.DoesNotContain("contoso", unknownPage.Html, StringComparison.OrdinalIgnoreCase);
        Assert.Null(unknownPage.Find(".expired-on"));
    }

    [Fact]
    public async Task ExpiredMessagePage_SaysWhen_ToItsReader_AndNothingToAStranger()
    {
        var message = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        using var stranger = await SignInStrangerAsync();
        var expiredAt = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        await DbAsync(db => db.Messages.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiresAt, expiredAt)));

        var page = await reader.GetPageAsync($"/messages/{message.Id}");
        Assert.Equal(HttpStatusCode.Gone, page.Status);
        var expiredOn = page.Text(".expired-on") ?? string.Empty;
        Assert.StartsWith("It expired on ", expiredOn, StringComparison.Ordinal);
        Assert.EndsWith(expiredAt.UtcDateTime.ToString("D", System.Globalization.CultureInfo.GetCultureInfo("en")) + ".", expiredOn, StringComparison.Ordinal);
        Assert.Contains(Sender, page.Html, StringComparison.Ordinal);
        Assert.Equal("See your other messages", page.Text("a.button[href='/inbox']"));

        var refused = await stranger.GetPageAsync($"/messages/{message.Id}");
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        Assert.Null(refused.Find(".expired-on"));
        Assert.DoesNotContain(Sender, refused.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("2026", refused.Text("main") ?? string.Empty, StringComparison.Ordinal);
    }

    private async Task<RecipientBrowserlessClient> SignInStrangerAsync()
    {
        var other = await _host.IngestAsync(TestMessages.WithMarkers("stranger", "stranger-html", "stranger-text", "stranger-file", ["someone.else@example.nl"]));
        return await RecipientBrowserlessClient.SignInFromLinkAsync(_host, other.Link);
    }

    [Fact]
    public async Task SignOut_FromTheHeader_IsOneClick_ButNotFromAnotherSite()
    {
        var message = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var page = await reader.GetPageAsync($"/messages/{message.Id}");
        var form = page.Find("header form[action^='/signout']");
        Assert.NotNull(form);
        Assert.Null(form.QuerySelector($"input[name='{HtmlPage.AntiforgeryField}']"));

        async Task<HttpStatusCode> PostWithoutTokenAsync(string header, string value)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/signout") { Content = new FormUrlEncodedContent([]) };
            request.Headers.Add(header, value);
            using var response = await reader.Http.SendAsync(request);
            return response.StatusCode;
        }

        // Another site's form: the browser marks it cross-site, or names the other origin. Nothing ends.
        Assert.Equal(HttpStatusCode.BadRequest, await PostWithoutTokenAsync("Sec-Fetch-Site", "cross-site"));
        Assert.Equal(HttpStatusCode.BadRequest, await PostWithoutTokenAsync("Origin", "https://evil.example"));
        using (var plain = await reader.Http.PostAsync("/signout", new FormUrlEncodedContent([])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
            Assert.Contains(HtmlPage.AntiforgeryField, await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Null((await DbAsync(db => db.RecipientSessions.SingleAsync())).EndedAt);

        // The header's own form, as the browser sends it from this site.
        Assert.Equal(HttpStatusCode.Redirect, await PostWithoutTokenAsync("Sec-Fetch-Site", "same-origin"));
        Assert.NotNull((await DbAsync(db => db.RecipientSessions.SingleAsync())).EndedAt);
        Assert.NotEqual(HttpStatusCode.OK, (await reader.Http.GetAsync($"/messages/{message.Id}")).StatusCode);
    }

    [Fact]
    public async Task SignOut_WithTheOriginOfThisSite_IsAccepted()
    {
        var message = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/signout") { Content = new FormUrlEncodedContent([]) };
        request.Headers.Add("Origin", _host.BaseUrl);
        using var response = await reader.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.NotNull((await DbAsync(db => db.RecipientSessions.SingleAsync())).EndedAt);
    }

    [Fact]
    public async Task PasskeyOffer_ShowsOnceAfterSignIn_AndTheHeaderStopsOfferingOnceThereIsOne()
    {
        var message = await _host.IngestSampleAsync("02-plain-latin9-card-number.eml");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var first = await reader.GetPageAsync($"/messages/{message.Id}");
        Assert.NotNull(first.Find(".passkey-offer"));
        foreach (var path in new[] { $"/messages/{message.Id}", "/inbox" })
        {
            Assert.Null((await reader.GetPageAsync(path)).Find(".passkey-offer"));
        }

        Assert.Equal("Create a passkey", (await reader.GetPageAsync("/inbox")).Text("header a[href='/security']"));

        // The address gets a passkey (elsewhere, e.g. another browser): this session's header stops offering one.
        await _host.DbAsync(db =>
        {
            db.PasskeyCredentials.Add(new PasskeyCredential
            {
                Id = Guid.NewGuid(),
                CredentialId = [1, 2, 3],
                PublicKey = [4, 5, 6],
                UserHandle = [7, 8, 9],
                Address = Reader,
                Name = "Laptop",
                CreatedAt = DateTimeOffset.UtcNow,
                RegisteredWith = "passcode",
            });
            return db.SaveChangesAsync();
        });
        Assert.Equal("Security", (await reader.GetPageAsync("/inbox")).Text("header a[href='/security']"));

        // A new sign-in (of an address without a passkey) offers it once again.
        using var other = await SignInStrangerAsync();
        Assert.NotNull((await other.GetPageAsync("/inbox")).Find(".passkey-offer"));
        Assert.Null((await other.GetPageAsync("/inbox")).Find(".passkey-offer"));
    }
}

public sealed class NoDeadEndsSqliteTests : NoDeadEndsTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class NoDeadEndsPostgresTests : NoDeadEndsTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
