using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Access;

/// <summary>The passcode sign-in over real HTTP: bot-safe links, the session cookie, session lifetime and sign-out.</summary>
public abstract class SignInFlowTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(Guid MessageId, string Link, string Address)> IngestAsync(string sample = "02-plain-latin9-card-number.eml", PortalHost? host = null)
    {
        var message = await (host ?? _host).IngestSampleAsync(sample);
        return (message.Id, message.Link, message.Address);
    }

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => _host.DbAsync(query);

    [Fact]
    public async Task OpeningTheLink_ManyTimes_ChangesNothing()
    {
        var (_, link, _) = await IngestAsync();
        await _host.WaitForOutboxAsync(1);
        using var client = _host.CreateHttpClient();
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync(new Uri(link));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("handler=Passcode", html, StringComparison.Ordinal);
        }

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(link)));
        Assert.Equal(0, await DbAsync(db => db.PasscodeChallenges.CountAsync()));
        Assert.Equal(0, await DbAsync(db => db.OutboundMails.CountAsync(m => m.Kind == OutboundMailKind.Passcode)));
        Assert.Single(Directory.GetFiles(_host.OutboxDirectory, "*.eml"));
    }

    [Theory]
    [InlineData("en-GB", "This message has expired", "This message has been withdrawn", "This link does not work")]
    [InlineData("nl-NL", "Dit bericht is verlopen", "Dit bericht is ingetrokken", "Deze link werkt niet")]
    public async Task LinkPage_ExpiredAndRevoked_SaySoAndNameTheSender_UnknownAndMalformed_SayNothingMore(
        string language, string expiredTitle, string revokedTitle, string unknownTitle)
    {
        const string sender = "afschriften@bank.contoso.test";
        var (expiredId, expiredLink, _) = await IngestAsync();
        var (revokedId, revokedLink, _) = await IngestAsync();
        await DbAsync(db => db.Messages.Where(m => m.Id == expiredId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1))));
        await DbAsync(db => db.Recipients.Where(r => r.MessageId == revokedId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));

        using var client = _host.CreateHttpClient();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        async Task<(HttpStatusCode Status, string Text)> OpenAsync(string path)
        {
            using var response = await client.GetAsync(path);
            return (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        }

        var expired = await OpenAsync(new Uri(expiredLink).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, expired.Status);
        Assert.Contains(expiredTitle, expired.Text, StringComparison.Ordinal);
        Assert.Contains(sender, expired.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=Passcode", expired.Text, StringComparison.Ordinal);

        var revoked = await OpenAsync(new Uri(revokedLink).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, revoked.Status);
        Assert.Contains(revokedTitle, revoked.Text, StringComparison.Ordinal);
        Assert.Contains(sender, revoked.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=Passcode", revoked.Text, StringComparison.Ordinal);

        // A token that could be real but is not, and one that could never be: the same page, naming no one.
        var unknownToken = new string('Q', 43);
        var unknown = await OpenAsync("/m/" + unknownToken);
        var malformed = await OpenAsync("/m/not-a-token");
        // The pages differ only in their own address (the language switch returns to it) and nonces.
        string Shape(string html, string token) =>
            System.Text.RegularExpressions.Regex.Replace(html.Replace(token, "TOKEN", StringComparison.Ordinal), "nonce[-=][^\"' >]+", "X");
        foreach (var page in new[] { unknown, malformed })
        {
            Assert.Equal(HttpStatusCode.NotFound, page.Status);
            Assert.Contains(unknownTitle, page.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("contoso", page.Text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("klant@example.nl", page.Text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(Shape(unknown.Text, unknownToken), Shape(malformed.Text, "not-a-token"));
    }

    [Fact]
    public async Task PasscodeFromLink_SignsInWithAHardenedCookie_AndLandsOnTheMessage()
    {
        var (id, link, address) = await IngestAsync();
        using var recipient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        Assert.Equal($"/messages/{id}", recipient.LandedOn);
        Assert.True(recipient.Cookies.ContainsKey("__Host-omeportal"));

        // The Set-Cookie attributes themselves (a second sign-in shows them).
        using var again = RecipientBrowserlessClient.Anonymous(_host);
        using var requested = await again.PostFormAsync(new Uri(link).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.TooManyRequests, requested.StatusCode); // a second passcode within a minute is throttled

        var session = await DbAsync(db => db.RecipientSessions.SingleAsync());
        Assert.Equal(address, session.Address);
        Assert.Equal("passcode", session.Method);
        Assert.DoesNotContain(recipient.Cookies["__Host-omeportal"], Convert.ToBase64String(session.TokenHash), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionCookie_IsSecureHttpOnlyLaxHostOnly()
    {
        var (_, link, _) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(_host);
        using var requested = await recipient.PostFormAsync(new Uri(link).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        var codePage = requested.Headers.Location!.OriginalString;
        var reference = new PasscodePage(await recipient.GetPageAsync(codePage)).ReferenceCode;
        Assert.NotNull(reference);
        var code = await recipient.WaitForPasscodeAsync(reference);
        using var signedIn = await recipient.PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = code });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-omeportal=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer()
    {
        var (id, link, _) = await IngestAsync();
        using var recipient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        var stolen = recipient.Cookies["__Host-omeportal"];
        Assert.NotNull(await DbAsync(db => db.RecipientSessions.SingleOrDefaultAsync(s => s.EndedAt == null)));

        using var signedOut = await recipient.PostFormAsync("/signout", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.NotNull((await DbAsync(db => db.RecipientSessions.SingleAsync())).EndedAt);

        // A copy of the old cookie no longer signs anyone in.
        using var replay = _host.CreateHttpClient();
        replay.DefaultRequestHeaders.Add("Cookie", $"__Host-omeportal={stolen}");
        using var page = await replay.GetAsync("/signout");
        Assert.DoesNotContain("Signed in as", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var message = await replay.GetAsync($"/messages/{id}");
        Assert.NotEqual(HttpStatusCode.OK, message.StatusCode);
    }

    [Fact]
    public async Task EverySignIn_StartsANewSession_AndTheOldOneEnds()
    {
        var (_, link, _) = await IngestAsync();
        using var recipient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        var first = recipient.Cookies["__Host-omeportal"];

        // Sign in again (after the resend interval) through the inbox path with the same client.
        var earlier = DateTimeOffset.UtcNow.AddMinutes(-2);
        await DbAsync(db => db.PasscodeChallenges.ExecuteUpdateAsync(s => s.SetProperty(c => c.CreatedAt, earlier)));
        using var requested = await recipient.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "klant@example.nl" });
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        var codePage = requested.Headers.Location!.OriginalString;
        var reference = new PasscodePage(await recipient.GetPageAsync(codePage)).ReferenceCode;
        Assert.NotNull(reference);
        var code = await recipient.WaitForPasscodeAsync(reference);
        using var signedIn = await recipient.PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = code });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);

        var second = recipient.Cookies["__Host-omeportal"];
        Assert.NotEqual(first, second);
        var sessions = await DbAsync(db => db.RecipientSessions.OrderBy(s => s.CreatedAt).ToListAsync());
        Assert.Equal(2, sessions.Count);
        Assert.NotNull(sessions[0].EndedAt);
        Assert.Null(sessions[1].EndedAt);
    }

    [Theory]
    [InlineData(31, 0)]
    [InlineData(0, 12 * 60 + 1)]
    public async Task Session_IdleOrTooOld_IsRefused(int idleMinutes, int ageMinutes)
    {
        var (_, link, _) = await IngestAsync();
        using var recipient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        using (var before = await recipient.Http.GetAsync("/signout"))
        {
            Assert.Contains("__Host-omeportal", recipient.Cookies.Keys);
            Assert.Contains("klant@example.nl", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var now = DateTimeOffset.UtcNow;
        await DbAsync(db => db.RecipientSessions.ExecuteUpdateAsync(s => s
            .SetProperty(x => x.LastSeenAt, now.AddMinutes(-idleMinutes))
            .SetProperty(x => x.CreatedAt, now.AddMinutes(-ageMinutes))
            .SetProperty(x => x.ExpiresAt, now.AddMinutes(-ageMinutes).AddHours(12))));

        using var after = await recipient.Http.GetAsync("/signout");
        Assert.DoesNotContain("klant@example.nl", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInPages_CarryTheSecurityHeaders()
    {
        var (_, link, _) = await IngestAsync();
        using var client = _host.CreateHttpClient();
        foreach (var path in new[] { new Uri(link).PathAndQuery, "/signin", "/signout", "/signin/code?challenge=" + Guid.NewGuid() })
        {
            using var response = await client.GetAsync(path);
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("base-uri 'none'", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        }
    }

    [Fact]
    public async Task PostWithoutAntiforgery_IsRefused()
    {
        var (_, link, _) = await IngestAsync();
        using var client = _host.CreateHttpClient();
        using var response = await client.PostAsync(new Uri(link).PathAndQuery + "?handler=Passcode", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await DbAsync(db => db.PasscodeChallenges.CountAsync()));
    }

    [Fact]
    public async Task PasscodePages_GoThroughTheRequestRateLimit_BeforeAnyPasscodeRule()
    {
        await using var limited = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "5" }).StartAsync();
        var (_, link, _) = await IngestAsync(host: limited);
        using var recipient = RecipientBrowserlessClient.Anonymous(limited);

        // Requests 1 and 2: the link page (for its token) and the passcode request; 3: the code page.
        using var requested = await recipient.PostFormAsync(new Uri(link).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        var codePage = requested.Headers.Location!.OriginalString;
        var token = await recipient.AntiforgeryTokenAsync(codePage);

        // 4 and 5 reach the passcode rules (a wrong code each); 6 is refused before it gets there.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await recipient.Http.PostAsync(codePage, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.Code"] = "00000000",
                ["__RequestVerificationToken"] = token,
            }));
            statuses.Add(wrong.StatusCode);
        }

        // A wrong code goes back to the code page's GET (POST-redirect-GET).
        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests], statuses);
        await using var scope = limited.Services.CreateAsyncScope();
        var challenge = await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().PasscodeChallenges.SingleAsync();
        Assert.Equal(2, challenge.FailedAttempts);
        using var linkAgain = await recipient.Http.GetAsync(new Uri(link).PathAndQuery);
        Assert.Equal(HttpStatusCode.TooManyRequests, linkAgain.StatusCode);
    }

    [Fact]
    public async Task UnknownAddress_GetsTheSameAnswer_AndNoMail()
    {
        await IngestAsync();
        await _host.WaitForOutboxAsync(1);
        using var stranger = RecipientBrowserlessClient.Anonymous(_host);
        using var known = RecipientBrowserlessClient.Anonymous(_host);
        using var a = await stranger.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "nobody@example.org" });
        using var b = await known.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "klant@example.nl" });
        Assert.Equal(b.StatusCode, a.StatusCode);
        Assert.StartsWith("/signin/code?challenge=", a.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.StartsWith("/signin/code?challenge=", b.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var pageA = await stranger.Http.GetStringAsync(a.Headers.Location!.OriginalString);
        var pageB = await known.Http.GetStringAsync(b.Headers.Location!.OriginalString);
        string Shape(string html, string address) =>
            System.Text.RegularExpressions.Regex.Replace(html.Replace(address, "ADDRESS", StringComparison.Ordinal), "[A-Z2-9]{6}|[0-9a-f-]{36}|value=\"[^\"]*\"|nonce[-=][^\"' ]+", "X");
        Assert.Equal(Shape(pageB, "klant@example.nl"), Shape(pageA, "nobody@example.org"));

        await Task.Delay(1000);
        Assert.Equal(1, await DbAsync(db => db.OutboundMails.CountAsync(m => m.Kind == OutboundMailKind.Passcode)));
    }
}

public sealed class SignInFlowSqliteTests : SignInFlowTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SignInFlowPostgresTests : SignInFlowTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
