using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// Sign-in with a Microsoft account (Microsoft.Identity.Web) and with a generic OpenID Connect
/// provider, against <see cref="LocalOidcProvider"/> on 127.0.0.1: the verified-address rule, the
/// recipient match, the tenant restriction, tampered state and nonce, the brand switch, the rate limit.
/// </summary>
public abstract class ExternalSignInTests : IAsyncLifetime
{
    private const string Alice = "alice@example.nl";
    private const string ClientId = "omeportal-test";
    private const string ClientSecret = "local-test-secret";
    private LocalOidcProvider _idp = null!;
    private PortalHost? _host;

    protected abstract StorageKind Storage { get; }

    private PortalHost Host => _host ?? throw new InvalidOperationException("Start the portal first.");

    public async Task InitializeAsync() => _idp = await LocalOidcProvider.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await _idp.DisposeAsync();
    }

    /// <summary>The portal with Microsoft sign-in pointed at the local provider (plus <paramref name="settings"/>).</summary>
    private async Task<PortalHost> StartPortalAsync(IDictionary<string, string?>? settings = null, bool microsoft = true, LocalOidcProvider? idp = null)
    {
        idp ??= _idp;
        var all = new Dictionary<string, string?> { ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "1000" };
        if (microsoft)
        {
            all["AzureAd:Instance"] = idp.Instance;
            all["AzureAd:TenantId"] = idp.TenantId;
            all["AzureAd:ClientId"] = ClientId;
            all["AzureAd:ClientSecret"] = ClientSecret;
            all["AzureAd:CallbackPath"] = "/signin-oidc";
            // Only because the local provider speaks plain http on loopback.
            all["AzureAd:RequireHttpsMetadata"] = "false";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var issuer = idp.Issuer;
        _host = await new PortalHost(Storage, all)
        {
            // Microsoft.Identity.Web's issuer validator knows only Microsoft's clouds: name the local issuer (tests only).
            ServiceOverrides = services => services.PostConfigure<OpenIdConnectOptions>(ExternalProviders.MicrosoftScheme, o =>
                o.TokenValidationParameters.ValidIssuers = [issuer]),
        }.StartAsync();
        await idp.RegisterClientAsync(ClientId, ClientSecret, $"{_host.BaseUrl}/signin-oidc", $"{_host.BaseUrl}/signin-oidc-acme");
        return _host;
    }

    private async Task<(Guid Id, string Path)> IngestAsync(string address = Alice)
    {
        var message = await Host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", address));
        return (message.Id, new Uri(message.Link).AbsolutePath);
    }

    private static string Token(string linkPath) => linkPath["/m/".Length..];

    private Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query) => Host.DbAsync(query);

    private static Task<HttpResponseMessage> FromLinkAsync(
        RecipientBrowserlessClient recipient, string linkPath, string provider = "microsoft",
        Func<string, string>? tamperAuthorizationUrl = null, Action<Dictionary<string, string>>? tamperCallback = null) =>
        ExternalSignInFlow.RunAsync(recipient, linkPath, provider, new Dictionary<string, string> { ["link"] = Token(linkPath) }, tamperAuthorizationUrl, tamperCallback);

    /// <summary>Follows the redirect to the refusal page and returns its status and HTML.</summary>
    private static async Task<(HttpStatusCode Status, string Html)> RefusalAsync(RecipientBrowserlessClient recipient, HttpResponseMessage callback)
    {
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var location = callback.Headers.Location!.OriginalString;
        Assert.StartsWith("/signin/external/refused?r=", location, StringComparison.Ordinal);
        using var page = await recipient.Http.GetAsync(location);
        return (page.StatusCode, await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MatchingVerifiedAddress_SignsIn_ReadsTheMessage_AndIsAudited()
    {
        await StartPortalAsync();
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity("Alice@Example.NL", EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal($"/messages/{id}", callback.Headers.Location!.OriginalString);
        using var message = await recipient.Http.GetAsync($"/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        Assert.Equal("S256", Assert.Single(_idp.CodeChallengeMethods));

        var session = await DbAsync(db => db.RecipientSessions.SingleAsync());
        Assert.Equal(Alice, session.Address);
        Assert.Equal("microsoft", session.Method);
        var signedIn = await DbAsync(db => db.AuditEvents.SingleAsync(e => e.Kind == AuditEventKind.SignedIn));
        Assert.Equal("microsoft", signedIn.Detail);
        Assert.Equal(id, signedIn.MessageId);
        Assert.Equal(Alice, signedIn.Actor);

        // The external ticket was dropped: only the portal's own session cookie signs in.
        Assert.DoesNotContain(recipient.Cookies.Keys, name => name.Contains("Correlation", StringComparison.Ordinal) || name.Contains("Nonce", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EntraDomainOwnerVerifiedEmail_IsAccepted()
    {
        await StartPortalAsync();
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailDomainOwnerVerified: true);

        using var callback = await FromLinkAsync(recipient, link);

        Assert.Equal($"/messages/{id}", callback.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task PersonalMicrosoftAccount_PreferredUsernameIsTheVerifiedAddress()
    {
        await using var personal = await LocalOidcProvider.StartAsync(VerifiedAddressRule.MicrosoftPersonalAccountsTenantId);
        await StartPortalAsync(idp: personal);
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        personal.NextIdentity = new LocalOidcIdentity(Email: null, PreferredUsername: Alice);

        using var callback = await FromLinkAsync(recipient, link);

        Assert.Equal($"/messages/{id}", callback.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task DifferentVerifiedAddress_IsRefused_WithThePageNamingTheMessagesRecipient()
    {
        await StartPortalAsync();
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity("mallory@example.nl", EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link);
        var (status, html) = await RefusalAsync(recipient, callback);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("This message was sent to alice@example.nl", html, StringComparison.Ordinal);
        Assert.DoesNotContain("mallory", html, StringComparison.Ordinal);
        Assert.Contains($"action=\"{link}?handler=Passcode\"", html, StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.RecipientSessions.CountAsync()));
        using var message = await recipient.Http.GetAsync($"/messages/{id}");
        Assert.NotEqual(HttpStatusCode.OK, message.StatusCode);

        // The passcode it offers instead is one click away.
        var token = await recipient.AntiforgeryTokenAsync(callback.Headers.Location!.OriginalString);
        using var passcode = await recipient.Http.PostAsync($"{link}?handler=Passcode", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, passcode.StatusCode);
        Assert.StartsWith("/signin/code", passcode.Headers.Location!.OriginalString, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task DifferentVerifiedAddress_InDutch_IsExplainedInDutch()
    {
        await StartPortalAsync();
        var (_, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        recipient.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("nl");
        _idp.NextIdentity = new LocalOidcIdentity("mallory@example.nl", EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link);
        var (_, html) = await RefusalAsync(recipient, callback);

        Assert.Contains("Dit bericht is gestuurd naar alice@example.nl", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(null)]
    public async Task UnverifiedEmailClaim_IsRefused(bool? emailVerified)
    {
        await StartPortalAsync();
        var (_, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: emailVerified, EmailDomainOwnerVerified: emailVerified);

        using var callback = await FromLinkAsync(recipient, link);
        var (status, html) = await RefusalAsync(recipient, callback);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("email address is not verified", html, StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.RecipientSessions.CountAsync()));
    }

    [Fact]
    public async Task TenantRestriction_RefusesOtherDirectories_AndAdmitsListedOnes()
    {
        await StartPortalAsync(new Dictionary<string, string?> { ["AzureAd:AllowedTenantIds:0"] = Guid.NewGuid().ToString(), ["AzureAd:AllowedTenantIds:1"] = _idp.TenantId });
        var (id, link) = await IngestAsync();

        using (var outsider = RecipientBrowserlessClient.Anonymous(Host))
        {
            _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true, TenantId: Guid.NewGuid().ToString());
            using var callback = await FromLinkAsync(outsider, link);
            var (status, html) = await RefusalAsync(outsider, callback);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("organisation&#x27;s accounts are not accepted", html, StringComparison.Ordinal);
            Assert.Equal(0, await DbAsync(db => db.RecipientSessions.CountAsync()));
        }

        using var member = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);
        using var admitted = await FromLinkAsync(member, link);
        Assert.Equal($"/messages/{id}", admitted.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task TamperedState_IsRefused()
    {
        await StartPortalAsync();
        var (_, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link, tamperCallback: form =>
            form["state"] = form["state"][..^6] + (form["state"].EndsWith("AAAAAA", StringComparison.Ordinal) ? "BBBBBB" : "AAAAAA"));
        var (status, html) = await RefusalAsync(recipient, callback);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Signing in with the account did not work", html, StringComparison.Ordinal);
        Assert.Equal(0, await DbAsync(db => db.RecipientSessions.CountAsync()));
    }

    [Fact]
    public async Task TamperedNonce_IsRefused()
    {
        await StartPortalAsync();
        var (_, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link, tamperAuthorizationUrl: url =>
            System.Text.RegularExpressions.Regex.Replace(url, "([?&]nonce=)[^&]+", "${1}" + Guid.NewGuid().ToString("N")));
        var (status, _) = await RefusalAsync(recipient, callback);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(0, await DbAsync(db => db.RecipientSessions.CountAsync()));
    }

    [Fact]
    public async Task GenericProvider_ByConfigurationAlone_SignsIn_WithTheSameRule()
    {
        await StartPortalAsync(new Dictionary<string, string?>
        {
            ["OmePortal:ExternalSignIn:Providers:acme:DisplayName"] = "Acme ID",
            ["OmePortal:ExternalSignIn:Providers:acme:Authority"] = _idp.Issuer,
            ["OmePortal:ExternalSignIn:Providers:acme:ClientId"] = ClientId,
            ["OmePortal:ExternalSignIn:Providers:acme:ClientSecret"] = ClientSecret,
            ["OmePortal:ExternalSignIn:Providers:acme:RequireHttpsMetadata"] = "false",
        }, microsoft: false);
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        var page = await recipient.Http.GetStringAsync(link);
        Assert.Contains("action=\"/signin/external/acme\"", page, StringComparison.Ordinal);
        Assert.Contains("Sign in with Acme ID", page, StringComparison.Ordinal);
        Assert.DoesNotContain("/signin/external/microsoft", page, StringComparison.Ordinal);

        // Entra's xms_edov means nothing from another provider.
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailDomainOwnerVerified: true);
        using (var refused = await FromLinkAsync(recipient, link, provider: "acme"))
        {
            var (status, _) = await RefusalAsync(recipient, refused);
            Assert.Equal(HttpStatusCode.Forbidden, status);
        }

        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);
        using var callback = await FromLinkAsync(recipient, link, provider: "acme");
        Assert.Equal($"/messages/{id}", callback.Headers.Location?.OriginalString);
        Assert.Equal("oidc:acme", (await DbAsync(db => db.RecipientSessions.SingleAsync())).Method);
        using var message = await recipient.Http.GetAsync($"/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
    }

    [Fact]
    public async Task FromSignInPage_TheVerifiedAddressBecomesTheSession_WithoutAnAuditEvent()
    {
        await StartPortalAsync();
        var (id, _) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        Assert.Contains("action=\"/signin/external/microsoft\"", await recipient.Http.GetStringAsync("/signin"), StringComparison.Ordinal);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);

        using var callback = await ExternalSignInFlow.RunAsync(recipient, "/signin", "microsoft", new Dictionary<string, string> { ["returnUrl"] = "/inbox" });

        Assert.Equal("/inbox", callback.Headers.Location?.OriginalString);
        Assert.Contains($"/messages/{id}", await recipient.Http.GetStringAsync("/inbox"), StringComparison.Ordinal);
        Assert.Equal(Alice, (await DbAsync(db => db.RecipientSessions.SingleAsync())).Address);
        Assert.Equal(0, await DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.SignedIn)));
    }

    [Fact]
    public async Task Buttons_AreHidden_WhenNothingIsConfigured()
    {
        await StartPortalAsync(microsoft: false);
        var (_, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        Assert.DoesNotContain("/signin/external/", await recipient.Http.GetStringAsync(link), StringComparison.Ordinal);
        Assert.DoesNotContain("/signin/external/", await recipient.Http.GetStringAsync("/signin"), StringComparison.Ordinal);
        var token = await recipient.AntiforgeryTokenAsync("/signin");
        using var start = await recipient.Http.PostAsync("/signin/external/microsoft", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.NotFound, start.StatusCode);
    }

    [Fact]
    public async Task Buttons_AreHidden_AndNothingStarts_WhenTheBrandSwitchesMicrosoftSignInOff()
    {
        await StartPortalAsync();
        var (_, link) = await IngestAsync();
        await DbAsync(async db =>
        {
            foreach (var template in await db.BrandTemplates.ToListAsync())
            {
                template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { MicrosoftSignInEnabled = false });
            }

            return await db.SaveChangesAsync();
        });
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        var page = await recipient.Http.GetStringAsync(link);
        Assert.DoesNotContain("/signin/external/", page, StringComparison.Ordinal);

        using var forced = await FromLinkAsync(recipient, link);
        Assert.Equal(HttpStatusCode.Redirect, forced.StatusCode);
        Assert.Equal(link, forced.Headers.Location?.OriginalString);
        Assert.Empty(_idp.CodeChallengeMethods);
    }

    [Fact]
    public async Task StartWithoutAntiforgeryToken_IsRefused()
    {
        await StartPortalAsync();
        var (_, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        using var start = await recipient.Http.PostAsync("/signin/external/microsoft", new FormUrlEncodedContent(new Dictionary<string, string> { ["link"] = Token(link) }));
        Assert.Equal(HttpStatusCode.BadRequest, start.StatusCode);
    }

    [Fact]
    public async Task Callback_GoesThroughTheSignInRateLimit()
    {
        await StartPortalAsync(new Dictionary<string, string?> { ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "3" });
        using var client = Host.CreateHttpClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostAsync("/signin-oidc", new FormUrlEncodedContent(new Dictionary<string, string> { ["state"] = "forged", ["code"] = "forged" }));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task AfterExternalSignIn_APasskeyIsOffered_UntilDismissed()
    {
        await StartPortalAsync();
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);
        using var callback = await FromLinkAsync(recipient, link);

        var page = await recipient.Http.GetStringAsync($"/messages/{id}");
        Assert.Contains("passkey-offer", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/security\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("passkey-offer", await recipient.Http.GetStringAsync("/security"), StringComparison.Ordinal);

        // The offer's "Not now" is a link back to the page it was shown on.
        var dismissUrl = $"/signin/passkey-offer/dismiss?returnUrl={Uri.EscapeDataString($"/messages/{id}")}";
        Assert.Contains(WebUtility.HtmlEncode(dismissUrl), page, StringComparison.Ordinal);
        using var dismissed = await recipient.Http.GetAsync(dismissUrl);
        Assert.Equal(HttpStatusCode.Redirect, dismissed.StatusCode);
        Assert.Equal($"/messages/{id}", dismissed.Headers.Location?.OriginalString);
        using (var elsewhere = await recipient.Http.GetAsync("/signin/passkey-offer/dismiss?returnUrl=" + Uri.EscapeDataString("https://evil.example/")))
        {
            Assert.Equal("/inbox", elsewhere.Headers.Location?.OriginalString);
        }

        Assert.DoesNotContain("passkey-offer", await recipient.Http.GetStringAsync($"/messages/{id}"), StringComparison.Ordinal);
    }
}

public sealed class ExternalSignInSqliteTests : ExternalSignInTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class ExternalSignInPostgresTests : ExternalSignInTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
