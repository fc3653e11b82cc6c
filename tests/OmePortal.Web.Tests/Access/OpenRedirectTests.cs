using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using OmePortal.Testing;
using OmePortal.Web.Access.External;
using Microsoft.Extensions.DependencyInjection;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// No return URL leads off the site: a TAB or newline that browsers drop ("/\t/x" becomes "//x"), "/\",
/// "//" and absolute URLs are refused on every path that follows one (language switch, passcode, passkey,
/// OpenID Connect, the passkey offer's "not now"), and a local one is still followed.
/// </summary>
public abstract partial class OpenRedirectTests : IAsyncLifetime
{
    private const string ClientId = "omeportal-test";
    private const string ClientSecret = "local-test-secret";

    private static readonly string[] HostileValues = LocalUrlTests.HostileValues;

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
            ["AzureAd:RequireHttpsMetadata"] = "false",
        })
        {
            ServiceOverrides = services => services.PostConfigure<OpenIdConnectOptions>(ExternalProviders.MicrosoftScheme, o =>
                o.TokenValidationParameters.ValidIssuers = [issuer]),
        }.StartAsync();
        await _idp.RegisterClientAsync(ClientId, ClientSecret, $"{_host.BaseUrl}/signin-oidc");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task LanguageSwitch_GoesHomeForHostileReturnUrls_AndBackForLocalOnes()
    {
        using var client = _host.CreateHttpClient();
        foreach (var hostile in HostileValues)
        {
            using var response = await client.GetAsync("/language/nl?returnUrl=" + Uri.EscapeDataString(hostile));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/", response.Headers.Location?.OriginalString);
        }

        using var local = await client.GetAsync("/language/nl?returnUrl=" + Uri.EscapeDataString("/inbox"));
        Assert.Equal("/inbox", local.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Passcode_HostileReturnUrl_IsDroppedAtTheRequest_AndIgnoredAtTheCode()
    {
        var index = 0;
        foreach (var hostile in HostileValues.Append("/inbox"))
        {
            var address = $"reader{index++}@example.nl";
            await IngestAsync(address);
            using var reader = RecipientBrowserlessClient.Anonymous(_host);
            using var requested = await reader.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = address, ["ReturnUrl"] = hostile });
            Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
            var codePage = requested.Headers.Location!.OriginalString;
            Assert.Equal(hostile == "/inbox", codePage.Contains("returnUrl=", StringComparison.Ordinal));

            // The code page's own returnUrl, forged by hand, is checked again.
            var forged = Regex.Replace(codePage, "&returnUrl=[^&]*", string.Empty) + "&returnUrl=" + Uri.EscapeDataString(hostile);
            var html = await reader.Http.GetStringAsync(forged);
            var code = await reader.WaitForPasscodeAsync(ReferenceCode().Match(html).Groups["ref"].Value);
            using var signedIn = await reader.PostFormAsync(forged, new Dictionary<string, string> { ["Input.Code"] = code });
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.Equal("/inbox", signedIn.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task Passkey_HostileReturnUrl_AnswersTheInbox()
    {
        await IngestAsync("alice@example.nl");
        using var passkey = new SoftwarePasskey(_host.BaseUrl, "localhost");
        using (var registering = await RecipientBrowserlessClient.SignInWithAddressAsync(_host, "alice@example.nl"))
        {
            using var options = await PostJsonAsync(registering, "/passkeys/registration/options", "/security", null);
            using var created = await PostJsonAsync(registering, "/passkeys/registration", "/security",
                new JsonObject { ["credential"] = passkey.Create(await options.Content.ReadAsStringAsync()) });
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        foreach (var returnUrl in HostileValues.Append("/inbox?page=2"))
        {
            using var visitor = RecipientBrowserlessClient.Anonymous(_host);
            using var options = await PostJsonAsync(visitor, "/passkeys/signin/options", "/signin", null);
            using var answer = await PostJsonAsync(visitor, "/passkeys/signin", "/signin",
                new JsonObject { ["returnUrl"] = returnUrl, ["credential"] = passkey.Get(await options.Content.ReadAsStringAsync()) });
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var redirect = (await answer.Content.ReadFromJsonAsync<JsonObject>())!["redirect"]!.GetValue<string>();
            Assert.Equal(returnUrl == "/inbox?page=2" ? returnUrl : "/inbox", redirect);
        }
    }

    [Fact]
    public async Task OpenIdConnect_HostileReturnUrl_LandsOnTheInbox()
    {
        await IngestAsync("alice@example.nl");
        foreach (var returnUrl in HostileValues.Append("/inbox?page=1"))
        {
            using var visitor = RecipientBrowserlessClient.Anonymous(_host);
            _idp.NextIdentity = new LocalOidcIdentity("alice@example.nl", EmailVerified: true);
            using var callback = await ExternalSignInFlow.RunAsync(visitor, "/signin", "microsoft", new Dictionary<string, string> { ["returnUrl"] = returnUrl });
            Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
            Assert.Equal(returnUrl == "/inbox?page=1" ? returnUrl : "/inbox", callback.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task PasskeyOfferDismissal_HostileReturnUrl_LandsOnTheInbox()
    {
        using var client = _host.CreateHttpClient();
        foreach (var hostile in HostileValues)
        {
            using var response = await client.GetAsync("/signin/passkey-offer/dismiss?returnUrl=" + Uri.EscapeDataString(hostile));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/inbox", response.Headers.Location?.OriginalString);
        }
    }

    private async Task IngestAsync(string address)
    {
        using var client = _host.CreateApiClient();
        var content = new ByteArrayContent(TestMessages.ToBytes(TestMessages.WithMarkers("s", "h", "t", "a", address)));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("message/rfc822");
        using var response = await client.PostAsync("/api/v1/messages", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(RecipientBrowserlessClient client, string path, string tokenPage, JsonNode? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent((body ?? new JsonObject()).ToJsonString()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("RequestVerificationToken", await client.AntiforgeryTokenAsync(tokenPage));
        var response = await client.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}");
        return response;
    }

    [GeneratedRegex("class=\"reference\"[^>]*>[^<]*?(?<ref>[A-Z2-9]{6})\\s*<")]
    private static partial Regex ReferenceCode();
}

/// <summary>The rule itself (<see cref="HostingExtensions.IsLocal"/>), without a portal.</summary>
public sealed class LocalUrlTests
{
    /// <summary>The hostile return URLs of the issue, and a few of their cousins.</summary>
    public static readonly string[] HostileValues =
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "~/inbox",
        "javascript:alert(1)",
        "evil.example",
    ];

    public static TheoryData<string> Hostile => new(HostileValues);

    [Theory]
    [MemberData(nameof(Hostile))]
    public void IsLocal_RefusesWhatLeavesTheSite(string url) => Assert.False(HostingExtensions.IsLocal(url));

    [Theory]
    [InlineData("/")]
    [InlineData("/inbox")]
    [InlineData("/messages/0f8fad5b-d9cb-469f-a165-70867728950e?images=1")]
    [InlineData("/signin?returnUrl=%2Finbox")]
    public void IsLocal_AcceptsPathsOfThisSite(string url) => Assert.True(HostingExtensions.IsLocal(url));
}

public sealed class OpenRedirectSqliteTests : OpenRedirectTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class OpenRedirectPostgresTests : OpenRedirectTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
