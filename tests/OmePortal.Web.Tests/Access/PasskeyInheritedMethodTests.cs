using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// A passkey inherits the method that verified the address when it was registered (issue 19, item 4):
/// one registered from an OpenID Connect session counts as that provider wherever a brand decides, so a
/// brand that turned external sign-in off refuses it (while a passkey registered after a passcode reads),
/// a brand that allows only external sign-in lets it in, a provider restricted to other tenants binds it
/// too, and a passkey registered from such a passkey's session inherits the same method.
/// </summary>
public abstract class PasskeyInheritedMethodTests : IAsyncLifetime
{
    private const string Alice = "alice@example.nl";
    private const string ClientId = "omeportal-test";
    private const string ClientSecret = "local-test-secret";

    private LocalOidcProvider _idp = null!;
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync()
    {
        _idp = await LocalOidcProvider.StartAsync();
        var issuer = _idp.Issuer;
        _host = await new PortalHost(Storage, new Dictionary<string, string?>
        {
            ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000",
            ["AzureAd:Instance"] = _idp.Instance,
            ["AzureAd:TenantId"] = _idp.TenantId,
            ["AzureAd:ClientId"] = ClientId,
            ["AzureAd:ClientSecret"] = ClientSecret,
            ["AzureAd:CallbackPath"] = "/signin-oidc",
            // Only because the local provider speaks plain http on loopback.
            ["AzureAd:RequireHttpsMetadata"] = "false",
            ["OmePortal:ExternalSignIn:Providers:acme:DisplayName"] = "Acme ID",
            ["OmePortal:ExternalSignIn:Providers:acme:Authority"] = _idp.Issuer,
            ["OmePortal:ExternalSignIn:Providers:acme:ClientId"] = ClientId,
            ["OmePortal:ExternalSignIn:Providers:acme:ClientSecret"] = ClientSecret,
            ["OmePortal:ExternalSignIn:Providers:acme:RequireHttpsMetadata"] = "false",
            // Acme may vouch only for some other tenant's recipients.
            ["OmePortal:ExternalSignIn:Providers:acme:Tenants:0"] = Guid.NewGuid().ToString(),
        })
        {
            // Microsoft.Identity.Web's issuer validator knows only Microsoft's clouds: name the local issuer (tests only).
            ServiceOverrides = services => services.PostConfigure<OpenIdConnectOptions>(ExternalProviders.MicrosoftScheme, o =>
                o.TokenValidationParameters.ValidIssuers = [issuer]),
        }.StartAsync();
        await _idp.RegisterClientAsync(ClientId, ClientSecret, $"{_host.BaseUrl}/signin-oidc", $"{_host.BaseUrl}/signin-oidc-acme");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task PasskeyRegisteredFromAMicrosoftSession_CountsAsMicrosoft_WhereTheBrandDecides()
    {
        var message = await _host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", Alice));
        using var passcode = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        using var microsoft = await ExternalSessionAsync("microsoft");
        using var fromPasscode = await RegisterAsync(passcode, "after passcode");
        using var fromMicrosoft = await RegisterAsync(microsoft, "after microsoft");
        Assert.Equal("passcode", await RegisteredWithAsync("after passcode"));
        Assert.Equal("microsoft", await RegisteredWithAsync("after microsoft"));

        using var plainPasskey = await PasskeySessionAsync(fromPasscode);
        using var microsoftPasskey = await PasskeySessionAsync(fromMicrosoft);
        Assert.Equal(
            ["passkey", "passkey/microsoft"],
            await _host.DbAsync(db => db.RecipientSessions.Where(s => s.PasskeyId != null).Select(s => s.Method).OrderBy(m => m).ToListAsync()));

        // Every method on: both read.
        await AssertReadsAsync(plainPasskey, message.Id, HttpStatusCode.OK);
        await AssertReadsAsync(microsoftPasskey, message.Id, HttpStatusCode.OK);

        // External sign-in off: the passkey that came from Microsoft is refused like Microsoft itself.
        await SetBrandAsync(otp: true, external: false);
        await AssertReadsAsync(microsoftPasskey, message.Id, HttpStatusCode.Forbidden);
        await AssertReadsAsync(microsoft, message.Id, HttpStatusCode.Forbidden);
        await AssertReadsAsync(plainPasskey, message.Id, HttpStatusCode.OK);
        Assert.Contains("NeedsOtherSignIn", await InboxStateAsync(microsoftPasskey, message.Id), StringComparison.Ordinal);

        // Only external sign-in on: the other way round.
        await SetBrandAsync(otp: false, external: true);
        await AssertReadsAsync(microsoftPasskey, message.Id, HttpStatusCode.OK);
        await AssertReadsAsync(plainPasskey, message.Id, HttpStatusCode.Forbidden);

        // A passkey added from the Microsoft passkey's session inherits Microsoft, not "passkey".
        using var chained = await RegisterAsync(microsoftPasskey, "chained");
        Assert.Equal("microsoft", await RegisteredWithAsync("chained"));
        using var chainedSession = await PasskeySessionAsync(chained);
        await SetBrandAsync(otp: true, external: false);
        await AssertReadsAsync(chainedSession, message.Id, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task PasskeyRegisteredFromAProviderRestrictedToOtherTenants_IsRefusedLikeThatProvider()
    {
        var message = await _host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", Alice));
        using var acme = await ExternalSessionAsync("acme");
        using var fromAcme = await RegisterAsync(acme, "after acme");
        Assert.Equal("oidc:acme", await RegisteredWithAsync("after acme"));
        using var acmePasskey = await PasskeySessionAsync(fromAcme);
        Assert.Equal("passkey/oidc:acme", await _host.DbAsync(db => db.RecipientSessions.Where(s => s.PasskeyId != null).Select(s => s.Method).SingleAsync()));

        // Every method allowed by the brand, but acme does not vouch for this tenant's recipients.
        await AssertReadsAsync(acme, message.Id, HttpStatusCode.Forbidden);
        await AssertReadsAsync(acmePasskey, message.Id, HttpStatusCode.Forbidden);

        // The passcode still opens it, and a passkey registered after it reads.
        using var passcode = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        using var fromPasscode = await RegisterAsync(passcode, "after passcode");
        using var plainPasskey = await PasskeySessionAsync(fromPasscode);
        await AssertReadsAsync(plainPasskey, message.Id, HttpStatusCode.OK);
    }

    private async Task<RecipientBrowserlessClient> ExternalSessionAsync(string provider)
    {
        var client = RecipientBrowserlessClient.Anonymous(_host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);
        using var callback = await ExternalSignInFlow.RunAsync(client, "/signin", provider, new Dictionary<string, string> { ["returnUrl"] = "/inbox" });
        Assert.Equal("/inbox", callback.Headers.Location?.OriginalString);
        return client;
    }

    private Task<string?> RegisteredWithAsync(string name) =>
        _host.DbAsync(db => db.PasskeyCredentials.Where(c => c.Name == name).Select(c => c.RegisteredWith).SingleAsync());

    private async Task<SoftwarePasskey> RegisterAsync(RecipientBrowserlessClient client, string name)
    {
        var passkey = new SoftwarePasskey(_host.BaseUrl, "localhost");
        using var options = await PostJsonAsync(client, "/passkeys/registration/options", await client.AntiforgeryTokenAsync("/security"), null);
        Assert.Equal(HttpStatusCode.OK, options.StatusCode);
        using var created = await PostJsonAsync(client, "/passkeys/registration", await client.AntiforgeryTokenAsync("/security"),
            new JsonObject { ["name"] = name, ["credential"] = passkey.Create(await options.Content.ReadAsStringAsync()) });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return passkey;
    }

    private async Task<RecipientBrowserlessClient> PasskeySessionAsync(SoftwarePasskey passkey)
    {
        var client = RecipientBrowserlessClient.Anonymous(_host);
        using var options = await PostJsonAsync(client, "/passkeys/signin/options", await client.AntiforgeryTokenAsync("/signin"), null);
        using var signedIn = await PostJsonAsync(client, "/passkeys/signin", await client.AntiforgeryTokenAsync("/signin"),
            new JsonObject { ["credential"] = passkey.Get(await options.Content.ReadAsStringAsync()) });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        return client;
    }

    /// <summary>The message page and its body frame answer alike: read, or "sign in another way".</summary>
    private static async Task AssertReadsAsync(RecipientBrowserlessClient client, Guid id, HttpStatusCode expected)
    {
        using var page = await client.Http.GetAsync($"/messages/{id}");
        Assert.Equal(expected, page.StatusCode);
        using var body = await client.Http.GetAsync($"/messages/{id}/body");
        Assert.Equal(expected, body.StatusCode);
        using var reply = await client.Http.GetAsync($"/messages/{id}/reply?mode=reply");
        Assert.Equal(expected, reply.StatusCode);
    }

    private static async Task<string> InboxStateAsync(RecipientBrowserlessClient client, Guid id)
    {
        var inbox = await client.GetPageAsync("/inbox");
        return inbox.Document.QuerySelector($"li[data-message='{id}']")?.GetAttribute("data-state") ?? "absent";
    }

    /// <summary>Sets the sign-in switches of every brand template, as an admin saving the template does.</summary>
    private Task SetBrandAsync(bool otp, bool external) => _host.DbAsync(async db =>
    {
        foreach (var template in await db.BrandTemplates.ToListAsync())
        {
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { OtpEnabled = otp, MicrosoftSignInEnabled = external });
            template.UpdatedAt = DateTimeOffset.UtcNow;
        }

        return await db.SaveChangesAsync();
    });

    private static async Task<HttpResponseMessage> PostJsonAsync(RecipientBrowserlessClient client, string path, string token, JsonNode? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent((body ?? new JsonObject()).ToJsonString()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("RequestVerificationToken", token);
        return await client.Http.SendAsync(request);
    }
}

public sealed class PasskeyInheritedMethodSqliteTests : PasskeyInheritedMethodTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class PasskeyInheritedMethodPostgresTests : PasskeyInheritedMethodTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
