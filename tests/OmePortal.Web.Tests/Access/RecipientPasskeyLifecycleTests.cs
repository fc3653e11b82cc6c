using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// A recipient's passkeys and sessions over their life (issue 19, item 8), over real HTTP with a software
/// authenticator and a manual clock: adding a passkey needs a recent sign-in, is audited and mailed to the
/// address; removing one ends the sessions it signed in; /security lists the address's own live sessions
/// and ends one or all others, and nobody can end a session of another address.
/// </summary>
public abstract class RecipientPasskeyLifecycleTests : IAsyncLifetime
{
    private const string Alice = "alice@example.nl";
    private const string Bob = "bob@example.nl";
    private readonly ManualTimeProvider _clock = new();
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() =>
        _host = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "1000" })
        {
            ServiceOverrides = s => s.AddSingleton<TimeProvider>(_clock),
        }.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task AddingAPasskey_AfterFifteenMinutes_IsRefused_UntilTheRecipientSignsInAgain()
    {
        var link = await IngestAsync(Alice);
        using var alice = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        using var passkey = NewPasskey();

        // 16 minutes after signing in (the session itself is alive: 30 minutes idle).
        _clock.Advance(TimeSpan.FromMinutes(16));
        var page = await alice.GetPageAsync("/security");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Null(page.Document.QuerySelector("#passkey-create"));
        var reconfirm = page.Document.QuerySelector("#passkey-reconfirm");
        Assert.NotNull(reconfirm);
        Assert.Contains("within the last 15 minutes", reconfirm.TextContent, StringComparison.Ordinal);
        Assert.Equal("/signin?returnUrl=%2Fsecurity", reconfirm.QuerySelector("a")!.GetAttribute("href"));

        using (var options = await PostJsonAsync(alice, "/passkeys/registration/options", await alice.AntiforgeryTokenAsync("/security"), null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, options.StatusCode);
            var problem = await options.Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal("/signin?returnUrl=%2Fsecurity", problem!["signInUrl"]!.GetValue<string>());
            Assert.Contains("sign in again", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(0, await _host.DbAsync(db => db.PasskeyChallenges.CountAsync()));

        // Signing in again where the page points (a passcode) makes a new session that may add one, back on /security.
        await SignInAgainAsync(alice, Alice);
        Assert.NotNull((await alice.GetPageAsync("/security")).Document.QuerySelector("#passkey-create"));
        var started = await RegistrationOptionsAsync(alice);

        // A ceremony started inside the window but finished after it is refused at the end as well.
        _clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        using (var late = await PostJsonAsync(alice, "/passkeys/registration", await alice.AntiforgeryTokenAsync("/security"),
            new JsonObject { ["credential"] = passkey.Create(started) }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, late.StatusCode);
        }

        Assert.Equal(0, await _host.DbAsync(db => db.PasskeyCredentials.CountAsync()));

        // Fresh again: registered.
        await SignInAgainAsync(alice, Alice);
        await RegisterAsync(alice, "Laptop");
        Assert.Equal(1, await _host.DbAsync(db => db.PasskeyCredentials.CountAsync()));
    }

    [Fact]
    public async Task AddingAPasskey_IsAudited_AndMailsTheAddress_InThePortalsBrand_AndLanguage()
    {
        var link = await IngestAsync(Alice);
        using var alice = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        alice.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("nl");
        using var _ = await RegisterAsync(alice, "Werklaptop <b>");

        var added = await _host.DbAsync(db => db.AuditEvents.Where(e => e.Kind == AuditEventKind.PasskeyAdded).SingleAsync());
        Assert.Equal(Alice, added.Actor);
        Assert.Equal("passcode", added.Detail);

        var mail = await WaitForMailAsync("passkey-added");
        Assert.Equal(Alice, mail.To.Mailboxes.Single().Address);
        Assert.Equal("Er is een passkey toegevoegd aan uw adres", mail.Subject);
        Assert.Contains("“Werklaptop <b>”", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("Werklaptop &lt;b&gt;", mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("Werklaptop <b>", mail.HtmlBody, StringComparison.Ordinal);

        // Neutral: no logo of a tenant, no links to click.
        Assert.DoesNotContain(mail.BodyParts, p => p.ContentType.MediaType == "image");
        Assert.DoesNotContain("href=\"http", mail.HtmlBody, StringComparison.Ordinal);

        // The outbox row keeps no name in plain text, and drops its payload once sent.
        var row = await _host.DbAsync(db => db.OutboundMails.SingleAsync(o => o.Kind == OutboundMailKind.PasskeyAdded));
        Assert.Equal(OutboundMailStatus.Sent, row.Status);
        Assert.Null(row.SealedPayload);
    }

    [Fact]
    public async Task RemovingAPasskey_EndsTheSessionsItSignedIn_AndNoOthers()
    {
        var link = await IngestAsync(Alice);
        using var alice = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        using var phone = await RegisterAsync(alice, "Phone");
        using var laptop = await RegisterAsync(alice, "Laptop");
        using var byPhone1 = await PasskeySessionAsync(phone);
        using var byPhone2 = await PasskeySessionAsync(phone);
        using var byLaptop = await PasskeySessionAsync(laptop);
        var phoneId = await _host.DbAsync(db => db.PasskeyCredentials.Where(c => c.Name == "Phone").Select(c => c.Id).SingleAsync());
        Assert.Equal(2, await _host.DbAsync(db => db.RecipientSessions.CountAsync(s => s.PasskeyId == phoneId)));

        using (var removed = await alice.PostFormAsync($"/security/passkeys/{phoneId}/remove", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
            Assert.Equal("/security?status=removed", removed.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(byPhone1);
        await AssertSignedOutAsync(byPhone2);
        await AssertSignedInAsync(byLaptop);
        await AssertSignedInAsync(alice);
        var audit = await _host.DbAsync(db => db.AuditEvents.Where(e => e.Kind == AuditEventKind.PasskeyRemoved).SingleAsync());
        Assert.Equal("sessions ended: 2", audit.Detail);

        // Removing the passkey this very session came from signs it out here too.
        var laptopId = await _host.DbAsync(db => db.PasskeyCredentials.Where(c => c.Name == "Laptop").Select(c => c.Id).SingleAsync());
        using (var own = await byLaptop.PostFormAsync($"/security/passkeys/{laptopId}/remove", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
            Assert.Equal("/signin?returnUrl=%2Fsecurity", own.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(byLaptop);
        await AssertSignedInAsync(alice);
    }

    [Fact]
    public async Task SecurityPage_ListsTheAddressesOwnSessions_AndEndsOneOrAllOthers()
    {
        var link = await IngestAsync(Alice);
        using var alice = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        _clock.Advance(TimeSpan.FromMinutes(2));
        using var second = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        using var passkey = await RegisterAsync(alice, "Phone");
        using var third = await PasskeySessionAsync(passkey);
        using var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(Bob));
        var bobsSession = await SessionIdAsync(Bob);

        var page = await alice.GetPageAsync("/security");
        var items = page.Document.QuerySelectorAll("li.session-item");
        Assert.Equal(3, items.Length);
        var current = Assert.Single(items, i => i.GetAttribute("data-current") == "true");
        Assert.Same(items[0], current);
        Assert.Contains("This session", current.TextContent, StringComparison.Ordinal);
        Assert.Contains("Passcode by email", current.TextContent, StringComparison.Ordinal);
        Assert.Contains(items, i => i.TextContent.Contains("Passkey “Phone”", StringComparison.Ordinal));
        Assert.DoesNotContain(bobsSession.ToString(), page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(Bob, page.Html, StringComparison.Ordinal);
        Assert.All(items, i => Assert.NotNull(i.QuerySelector("time")));

        // End one other session: that one is out, the rest stay.
        var secondId = Guid.Parse(items.Single(i => i.GetAttribute("data-current") == "false" && !i.TextContent.Contains("Passkey", StringComparison.Ordinal)).GetAttribute("data-session")!);
        using (var ended = await alice.PostFormAsync("/security", new Dictionary<string, string> { ["id"] = secondId.ToString() }, handler: "EndSession"))
        {
            Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        }

        await AssertSignedOutAsync(second);
        await AssertSignedInAsync(third);

        // End all others: only this one (and Bob's, which is not Alice's) is left.
        using (var others = await alice.PostFormAsync("/security", new Dictionary<string, string>(), handler: "EndOthers"))
        {
            Assert.Equal(HttpStatusCode.Redirect, others.StatusCode);
        }

        await AssertSignedOutAsync(third);
        await AssertSignedInAsync(alice);
        await AssertSignedInAsync(bob);
        var after = await alice.GetPageAsync("/security?status=others-ended");
        Assert.Single(after.Document.QuerySelectorAll("li.session-item"));
        Assert.NotNull(after.Document.QuerySelector("#no-other-sessions"));

        // Ending this session signs out here.
        var mine = await SessionIdAsync(Alice);
        using (var self = await alice.PostFormAsync("/security", new Dictionary<string, string> { ["id"] = mine.ToString() }, handler: "EndSession"))
        {
            Assert.Equal(HttpStatusCode.Redirect, self.StatusCode);
            Assert.Equal("/signin", self.Headers.Location?.OriginalString);
        }

        await AssertSignedOutAsync(alice);
    }

    [Fact]
    public async Task EndingSessions_OfAnotherAddress_IsRefused_AndAStrangerIsSentToSignIn()
    {
        using var alice = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(Alice));
        using var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(Bob));
        var alicesSession = await SessionIdAsync(Alice);

        // Bob names Alice's session: not found, and Alice's session lives on.
        using (var foreign = await bob.PostFormAsync("/security", new Dictionary<string, string> { ["id"] = alicesSession.ToString() }, handler: "EndSession"))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
            Assert.Contains("not yours", await foreign.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Bob ends all his other sessions: Alice's are not his.
        using (var others = await bob.PostFormAsync("/security", new Dictionary<string, string>(), handler: "EndOthers"))
        {
            Assert.Equal(HttpStatusCode.Redirect, others.StatusCode);
        }

        await AssertSignedInAsync(alice);
        Assert.Null(await _host.DbAsync(db => db.RecipientSessions.Where(s => s.Id == alicesSession).Select(s => s.EndedAt).SingleAsync()));

        // Nobody signed in: sent to sign in, with nothing ended; a forged form without a token: refused.
        var token = await alice.AntiforgeryTokenAsync("/security");
        using (var anonymous = RecipientBrowserlessClient.Anonymous(_host))
        {
            foreach (var handler in new[] { "EndSession", "EndOthers" })
            {
                using var response = await anonymous.Http.PostAsync($"/security?handler={handler}",
                    new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = alicesSession.ToString(), ["__RequestVerificationToken"] = token }));
                Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.BadRequest, $"{handler}: {response.StatusCode}");
                if (response.StatusCode == HttpStatusCode.Redirect)
                {
                    Assert.StartsWith("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
                }
            }

            using var options = await PostJsonAsync(anonymous, "/passkeys/registration/options", await anonymous.AntiforgeryTokenAsync("/signin"), null);
            Assert.Equal(HttpStatusCode.Unauthorized, options.StatusCode);
        }

        using (var tokenless = await alice.Http.PostAsync("/security?handler=EndOthers", new FormUrlEncodedContent(new Dictionary<string, string>())))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tokenless.StatusCode);
        }

        await AssertSignedInAsync(alice);
        await AssertSignedInAsync(bob);
    }

    [Fact]
    public async Task PasskeyRemoval_ByAStranger_EndsNothing()
    {
        using var alice = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(Alice));
        using var passkey = await RegisterAsync(alice, "Phone");
        using var byPhone = await PasskeySessionAsync(passkey);
        using var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(Bob));
        var phoneId = await _host.DbAsync(db => db.PasskeyCredentials.Select(c => c.Id).SingleAsync());

        using (var foreign = await bob.PostFormAsync($"/security/passkeys/{phoneId}/remove", new Dictionary<string, string>(), tokenPage: "/security"))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        await AssertSignedInAsync(byPhone);
        Assert.Equal(1, await _host.DbAsync(db => db.PasskeyCredentials.CountAsync()));
        Assert.Equal(0, await _host.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.PasskeyRemoved)));
    }

    /// <summary>Follows the page's "sign in again" link with the same browser: passcode by mail, then back to /security.</summary>
    private static async Task SignInAgainAsync(RecipientBrowserlessClient client, string address)
    {
        using var requested = await client.PostFormAsync("/signin?returnUrl=%2Fsecurity", new Dictionary<string, string> { ["Input.Address"] = address });
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        var codePage = requested.Headers.Location!.OriginalString;
        var reference = new PasscodePage(await client.GetPageAsync(codePage)).ReferenceCode!;
        var code = await client.WaitForPasscodeAsync(reference);
        using var signedIn = await client.PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = code });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/security", signedIn.Headers.Location?.OriginalString);
    }

    private SoftwarePasskey NewPasskey() => new(_host.BaseUrl, "localhost");

    private async Task<string> IngestAsync(string address) =>
        (await _host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", address))).Link;

    private Task<Guid> SessionIdAsync(string address) =>
        _host.DbAsync(db => db.RecipientSessions.Where(s => s.Address == address && s.EndedAt == null).OrderByDescending(s => s.CreatedAt).Select(s => s.Id).FirstAsync());

    private async Task<SoftwarePasskey> RegisterAsync(RecipientBrowserlessClient client, string name)
    {
        var passkey = NewPasskey();
        var options = await RegistrationOptionsAsync(client);
        using var created = await PostJsonAsync(client, "/passkeys/registration", await client.AntiforgeryTokenAsync("/security"),
            new JsonObject { ["name"] = name, ["credential"] = passkey.Create(options) });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return passkey;
    }

    private async Task<RecipientBrowserlessClient> PasskeySessionAsync(SoftwarePasskey passkey)
    {
        var client = RecipientBrowserlessClient.Anonymous(_host);
        using var options = await PostJsonAsync(client, "/passkeys/signin/options", await client.AntiforgeryTokenAsync("/signin"), null);
        Assert.Equal(HttpStatusCode.OK, options.StatusCode);
        using var signedIn = await PostJsonAsync(client, "/passkeys/signin", await client.AntiforgeryTokenAsync("/signin"),
            new JsonObject { ["credential"] = passkey.Get(await options.Content.ReadAsStringAsync()) });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        return client;
    }

    private static async Task<string> RegistrationOptionsAsync(RecipientBrowserlessClient client)
    {
        using var response = await PostJsonAsync(client, "/passkeys/registration/options", await client.AntiforgeryTokenAsync("/security"), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task AssertSignedInAsync(RecipientBrowserlessClient client)
    {
        using var response = await client.Http.GetAsync("/security");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task AssertSignedOutAsync(RecipientBrowserlessClient client)
    {
        using var response = await client.Http.GetAsync("/security");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    private async Task<MimeMessage> WaitForMailAsync(string kind)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            foreach (var file in await _host.WaitForOutboxAsync(1))
            {
                var mail = await MimeMessage.LoadAsync(file);
                if (mail.Headers["X-OmePortal-Mail-Kind"] == kind)
                {
                    return mail;
                }

                mail.Dispose();
            }

            Assert.True(DateTime.UtcNow < deadline, $"No {kind} mail arrived.");
            await Task.Delay(50);
        }
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(RecipientBrowserlessClient client, string path, string token, JsonNode? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent((body ?? new JsonObject()).ToJsonString()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("RequestVerificationToken", token);
        return await client.Http.SendAsync(request);
    }
}

public sealed class RecipientPasskeyLifecycleSqliteTests : RecipientPasskeyLifecycleTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class RecipientPasskeyLifecyclePostgresTests : RecipientPasskeyLifecycleTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
