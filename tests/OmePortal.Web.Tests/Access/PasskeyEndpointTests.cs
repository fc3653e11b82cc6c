using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// The passkey endpoints and the security page over real HTTP, with a software authenticator
/// (<see cref="SoftwarePasskey"/>) standing in for the browser: who may call what, challenges used
/// once, a passkey bound to one address, counters, and options that reveal nothing.
/// </summary>
public abstract class PasskeyEndpointTests : IAsyncLifetime
{
    private const string Alice = "alice@example.nl";
    private const string Bob = "bob@example.nl";
    private const string ChallengeCookie = "__Host-omeportal-passkey";
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() =>
        _host = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "1000" }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task RegistrationEndpoints_Anonymous_AreUnauthorized()
    {
        using var anonymous = RecipientBrowserlessClient.Anonymous(_host);
        var token = await anonymous.AntiforgeryTokenAsync("/signin");
        using var options = await PostJsonAsync(anonymous, "/passkeys/registration/options", token, null);
        Assert.Equal(HttpStatusCode.Unauthorized, options.StatusCode);
        using var finish = await PostJsonAsync(anonymous, "/passkeys/registration", token, new JsonObject { ["credential"] = new JsonObject() });
        Assert.Equal(HttpStatusCode.Unauthorized, finish.StatusCode);
        Assert.Equal(0, await DbAsync(db => db.PasskeyChallenges.CountAsync()));
    }

    [Fact]
    public async Task PasskeyEndpoints_WithoutAntiforgeryToken_AreRefused()
    {
        using var alice = await SignInAsync(Alice);
        using var registration = await PostJsonAsync(alice, "/passkeys/registration/options", token: null, null);
        Assert.Equal(HttpStatusCode.BadRequest, registration.StatusCode);
        using var anonymous = RecipientBrowserlessClient.Anonymous(_host);
        using var signIn = await PostJsonAsync(anonymous, "/passkeys/signin/options", token: "forged", null);
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
        Assert.Equal(0, await DbAsync(db => db.PasskeyChallenges.CountAsync()));
    }

    [Fact]
    public async Task Registration_IsBoundToTheSignedInAddress_AndItsChallengeIsUsedOnce()
    {
        using var alice = await SignInAsync(Alice);
        using var passkey = NewPasskey();
        var options = await RegistrationOptionsAsync(alice);
        using (var json = JsonDocument.Parse(options))
        {
            Assert.Equal(Alice, json.RootElement.GetProperty("user").GetProperty("name").GetString());
            Assert.Equal("localhost", json.RootElement.GetProperty("rp").GetProperty("id").GetString());
            Assert.Equal("required", json.RootElement.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        }

        var challenge = alice.Cookies[ChallengeCookie];
        var answer = new JsonObject { ["name"] = "Laptop", ["credential"] = passkey.Create(options) };
        using (var created = await PostJsonAsync(alice, "/passkeys/registration", await alice.AntiforgeryTokenAsync("/security"), answer))
        {
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        var stored = await DbAsync(db => db.PasskeyCredentials.SingleAsync());
        Assert.Equal(Alice, stored.Address);
        Assert.Equal("Laptop", stored.Name);
        Assert.Equal(passkey.CredentialId, stored.CredentialId);
        Assert.Equal(passkey.UserHandle, stored.UserHandle);

        // The same answer again, with the same challenge cookie: refused (the challenge was claimed).
        alice.Cookies[ChallengeCookie] = challenge;
        using var replay = await PostJsonAsync(alice, "/passkeys/registration", await alice.AntiforgeryTokenAsync("/security"), JsonNode.Parse(answer.ToJsonString())!);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(1, await DbAsync(db => db.PasskeyCredentials.CountAsync()));

        // The next options exclude the passkey Alice already has.
        using var next = JsonDocument.Parse(await RegistrationOptionsAsync(alice));
        var excluded = Assert.Single(next.RootElement.GetProperty("excludeCredentials").EnumerateArray());
        Assert.Equal(System.Buffers.Text.Base64Url.EncodeToString(passkey.CredentialId), excluded.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Registration_WithAnotherAddressesChallenge_OrAnUnknownOne_IsRefused()
    {
        using var alice = await SignInAsync(Alice);
        using var bob = await SignInAsync(Bob);
        using var passkey = NewPasskey();

        // Bob answers the challenge issued to Alice, with Alice's challenge cookie: it is not his.
        var options = await RegistrationOptionsAsync(alice);
        bob.Cookies[ChallengeCookie] = alice.Cookies[ChallengeCookie];
        using (var foreign = await PostJsonAsync(bob, "/passkeys/registration", await bob.AntiforgeryTokenAsync("/security"), new JsonObject { ["credential"] = passkey.Create(options) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        }

        // A challenge id the portal never issued, and no challenge at all.
        bob.Cookies[ChallengeCookie] = Guid.NewGuid().ToString();
        using (var unknown = await PostJsonAsync(bob, "/passkeys/registration", await bob.AntiforgeryTokenAsync("/security"), new JsonObject { ["credential"] = passkey.Create(options) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }

        using (var none = await PostJsonAsync(bob, "/passkeys/registration", await bob.AntiforgeryTokenAsync("/security"), new JsonObject { ["credential"] = passkey.Create(options) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        }

        // Bob's own challenge, but an answer signed for a different one (Alice's).
        await RegistrationOptionsAsync(bob);
        using (var mismatched = await PostJsonAsync(bob, "/passkeys/registration", await bob.AntiforgeryTokenAsync("/security"), new JsonObject { ["credential"] = passkey.Create(options) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, mismatched.StatusCode);
        }

        Assert.Equal(0, await DbAsync(db => db.PasskeyCredentials.CountAsync()));
    }

    [Fact]
    public async Task SignIn_WithAPasskey_StartsAPasskeySessionForItsOwnAddressOnly()
    {
        var aliceMessage = await IngestAsync(Alice);
        var bobMessage = await IngestAsync(Bob);
        using var passkey = await RegisterAsync(Alice);

        using var visitor = RecipientBrowserlessClient.Anonymous(_host);
        var (status, redirect) = await SignInWithPasskeyAsync(visitor, passkey, $"/messages/{bobMessage.Id}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"/messages/{bobMessage.Id}", redirect);

        var session = await DbAsync(db => db.RecipientSessions.Where(s => s.Method == "passkey").SingleAsync());
        Assert.Equal(Alice, session.Address);
        Assert.NotNull((await DbAsync(db => db.PasskeyCredentials.SingleAsync())).LastUsedAt);

        // Signed in as Alice: Bob's message (where the return URL pointed) stays shut, Alice's opens.
        using (var bobs = await visitor.Http.GetAsync($"/messages/{bobMessage.Id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
        }

        using (var bobsBody = await visitor.Http.GetAsync($"/messages/{bobMessage.Id}/body"))
        {
            Assert.Equal(HttpStatusCode.NotFound, bobsBody.StatusCode);
        }

        using var alices = await visitor.Http.GetAsync($"/messages/{aliceMessage.Id}");
        Assert.Equal(HttpStatusCode.OK, alices.StatusCode);
    }

    [Fact]
    public async Task SignIn_ReplayedAssertion_UnknownChallenge_OtherOrigin_AndForeignReturnUrl()
    {
        using var passkey = await RegisterAsync(Alice);
        using var visitor = RecipientBrowserlessClient.Anonymous(_host);

        // The same signed answer twice: the challenge is claimed by the first.
        var options = await SignInOptionsAsync(visitor);
        var challenge = visitor.Cookies[ChallengeCookie];
        var assertion = passkey.Get(options);
        using (var first = await PostJsonAsync(visitor, "/passkeys/signin", await visitor.AntiforgeryTokenAsync("/signin"), new JsonObject { ["returnUrl"] = "https://evil.example/", ["credential"] = assertion }))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("/inbox", (await first.Content.ReadFromJsonAsync<JsonObject>())!["redirect"]!.GetValue<string>());
        }

        using var replayer = RecipientBrowserlessClient.Anonymous(_host);
        replayer.Cookies[ChallengeCookie] = challenge;
        using (var replay = await PostJsonAsync(replayer, "/passkeys/signin", await replayer.AntiforgeryTokenAsync("/signin"), new JsonObject { ["credential"] = JsonNode.Parse(assertion.ToJsonString()) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        }

        // An old answer to a new challenge, an answer without a challenge cookie, an answer from another origin.
        await SignInOptionsAsync(replayer);
        using (var stale = await PostJsonAsync(replayer, "/passkeys/signin", await replayer.AntiforgeryTokenAsync("/signin"), new JsonObject { ["credential"] = JsonNode.Parse(assertion.ToJsonString()) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        }

        var fresh = await SignInOptionsAsync(replayer);
        replayer.Cookies.Remove(ChallengeCookie);
        using (var cookieless = await PostJsonAsync(replayer, "/passkeys/signin", await replayer.AntiforgeryTokenAsync("/signin"), new JsonObject { ["credential"] = passkey.Get(fresh) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, cookieless.StatusCode);
        }

        var phished = await SignInOptionsAsync(replayer);
        using (var otherOrigin = await PostJsonAsync(replayer, "/passkeys/signin", await replayer.AntiforgeryTokenAsync("/signin"), new JsonObject { ["credential"] = passkey.Get(phished, overrideOrigin: "https://portal.evil.example") }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, otherOrigin.StatusCode);
        }

        Assert.Equal(1, await DbAsync(db => db.RecipientSessions.CountAsync(s => s.Method == "passkey")));
        Assert.False(replayer.Cookies.ContainsKey("__Host-omeportal"));
    }

    [Fact]
    public async Task SignIn_SignCounterGoingBackwards_IsRefused()
    {
        using var passkey = await RegisterAsync(Alice);
        using var visitor = RecipientBrowserlessClient.Anonymous(_host);
        passkey.SignCount = 10;
        Assert.Equal(HttpStatusCode.OK, (await SignInWithPasskeyAsync(visitor, passkey, null)).Status);
        Assert.Equal(11, (await DbAsync(db => db.PasskeyCredentials.SingleAsync())).SignCount);

        // A clone of the authenticator, still at an older counter.
        using var clone = RecipientBrowserlessClient.Anonymous(_host);
        passkey.SignCount = 4;
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInWithPasskeyAsync(clone, passkey, null)).Status);
        passkey.SignCount = 10; // the same counter again is no better
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInWithPasskeyAsync(clone, passkey, null)).Status);
        Assert.Equal(11, (await DbAsync(db => db.PasskeyCredentials.SingleAsync())).SignCount);
        Assert.Equal(1, await DbAsync(db => db.RecipientSessions.CountAsync(s => s.Method == "passkey")));
    }

    [Fact]
    public async Task SignInOptions_AreTheSameShape_WhetherOrNotAnAddressHasPasskeys()
    {
        using var anonymous = RecipientBrowserlessClient.Anonymous(_host);
        var before = await SignInOptionsAsync(anonymous);
        using var passkey = await RegisterAsync(Alice);
        var after = await SignInOptionsAsync(anonymous);
        using var bob = await SignInAsync(Bob);
        var fromBob = await SignInOptionsAsync(bob, "/security");

        // Even a caller that names an address gets the same options: none is asked, none is used.
        var named = await SignInOptionsAsync(anonymous, body: new JsonObject { ["address"] = Alice, ["username"] = Alice });

        var shapes = new[] { before, after, fromBob, named }.Select(Shape).ToList();
        Assert.All(shapes, s => Assert.Equal(shapes[0], s));
        foreach (var json in new[] { before, after, fromBob, named })
        {
            using var document = JsonDocument.Parse(json);
            Assert.Empty(document.RootElement.GetProperty("allowCredentials").EnumerateArray());
            Assert.DoesNotContain(Alice, json, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(4, new[] { before, after, fromBob, named }.Select(j => JsonDocument.Parse(j).RootElement.GetProperty("challenge").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task SecurityPage_RefusesStrangers_AndListsAndChangesOnlyTheOwnersPasskeys()
    {
        using (var anonymous = RecipientBrowserlessClient.Anonymous(_host))
        {
            using var page = await anonymous.Http.GetAsync("/security");
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith("/signin", page.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using var alicesKey = await RegisterAsync(Alice, "Alice's laptop");
        using var bob = await SignInAsync(Bob);
        using var bobsKey = await RegisterAsync(bob, "Bob's phone");
        var alicesId = await DbAsync(db => db.PasskeyCredentials.Where(c => c.Address == Alice).Select(c => c.Id).SingleAsync());

        var html = await bob.Http.GetStringAsync("/security");
        Assert.Contains("Bob&#x27;s phone", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Alice", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(alicesId.ToString(), html, StringComparison.Ordinal);

        // Alice's passkey by its id: not Bob's to see, rename or remove.
        using (var removePage = await bob.Http.GetAsync($"/security/passkeys/{alicesId}/remove"))
        {
            Assert.Equal(HttpStatusCode.NotFound, removePage.StatusCode);
            Assert.DoesNotContain("Alice", await removePage.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        using (var rename = await bob.PostFormAsync("/security?handler=Rename", new Dictionary<string, string> { ["id"] = alicesId.ToString(), ["name"] = "pwned" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, rename.StatusCode);
        }

        var token = await bob.AntiforgeryTokenAsync("/security");
        using (var remove = await bob.Http.PostAsync($"/security/passkeys/{alicesId}/remove", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token })))
        {
            Assert.Equal(HttpStatusCode.NotFound, remove.StatusCode);
        }

        var alices = await DbAsync(db => db.PasskeyCredentials.SingleAsync(c => c.Id == alicesId));
        Assert.Equal("Alice's laptop", alices.Name);

        // Bob's own: renamed, then removed after the confirmation page.
        var bobsId = await DbAsync(db => db.PasskeyCredentials.Where(c => c.Address == Bob).Select(c => c.Id).SingleAsync());
        using (var rename = await bob.PostFormAsync("/security?handler=Rename", new Dictionary<string, string> { ["id"] = bobsId.ToString(), ["name"] = "  Work phone  " }))
        {
            Assert.Equal(HttpStatusCode.Redirect, rename.StatusCode);
        }

        Assert.Equal("Work phone", (await DbAsync(db => db.PasskeyCredentials.SingleAsync(c => c.Id == bobsId))).Name);
        using (var removed = await bob.PostFormAsync($"/security/passkeys/{bobsId}/remove", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        }

        Assert.Equal([Alice], await DbAsync(db => db.PasskeyCredentials.Select(c => c.Address).ToListAsync()));

        // A removed passkey signs nobody in.
        using var visitor = RecipientBrowserlessClient.Anonymous(_host);
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInWithPasskeyAsync(visitor, bobsKey, null)).Status);
    }

    private SoftwarePasskey NewPasskey() => new(_host.BaseUrl, "localhost");

    private async Task<RecipientBrowserlessClient> SignInAsync(string address)
    {
        var message = await IngestAsync(address);
        return await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
    }

    /// <summary>Signs in with a passcode, registers a software passkey for the address, and signs out again.</summary>
    private async Task<SoftwarePasskey> RegisterAsync(string address, string? name = null)
    {
        using var client = await SignInAsync(address);
        return await RegisterAsync(client, name);
    }

    private async Task<SoftwarePasskey> RegisterAsync(RecipientBrowserlessClient client, string? name)
    {
        var passkey = NewPasskey();
        var options = await RegistrationOptionsAsync(client);
        using var created = await PostJsonAsync(client, "/passkeys/registration", await client.AntiforgeryTokenAsync("/security"),
            new JsonObject { ["name"] = name, ["credential"] = passkey.Create(options) });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return passkey;
    }

    private async Task<(HttpStatusCode Status, string? Redirect)> SignInWithPasskeyAsync(RecipientBrowserlessClient client, SoftwarePasskey passkey, string? returnUrl)
    {
        var options = await SignInOptionsAsync(client);
        using var answer = await PostJsonAsync(client, "/passkeys/signin", await client.AntiforgeryTokenAsync("/signin"),
            new JsonObject { ["returnUrl"] = returnUrl, ["credential"] = passkey.Get(options) });
        var redirect = answer.IsSuccessStatusCode ? (await answer.Content.ReadFromJsonAsync<JsonObject>())!["redirect"]!.GetValue<string>() : null;
        return (answer.StatusCode, redirect);
    }

    private static async Task<string> RegistrationOptionsAsync(RecipientBrowserlessClient client)
    {
        using var response = await PostJsonAsync(client, "/passkeys/registration/options", await client.AntiforgeryTokenAsync("/security"), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<string> SignInOptionsAsync(RecipientBrowserlessClient client, string tokenPage = "/signin", JsonObject? body = null)
    {
        using var response = await PostJsonAsync(client, "/passkeys/signin/options", await client.AntiforgeryTokenAsync(tokenPage), body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(RecipientBrowserlessClient client, string path, string? token, JsonNode? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent((body ?? new JsonObject()).ToJsonString()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        return await client.Http.SendAsync(request);
    }

    /// <summary>The property names and value kinds of a JSON document, values left out.</summary>
    private static string Shape(string json)
    {
        static string Of(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + ":" + Of(p.Value))) + "}",
            JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Of)) + "]",
            _ => e.ValueKind.ToString(),
        };
        using var document = JsonDocument.Parse(json);
        return Of(document.RootElement);
    }

    private async Task<(Guid Id, string Link)> IngestAsync(string address)
    {
        var message = await _host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", address));
        return (message.Id, message.Link);
    }

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => _host.DbAsync(query);
}

public sealed class PasskeyEndpointSqliteTests : PasskeyEndpointTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class PasskeyEndpointPostgresTests : PasskeyEndpointTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
