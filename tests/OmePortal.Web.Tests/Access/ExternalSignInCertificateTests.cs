using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// External sign-in whose client credential is a certificate (<c>AzureAd:ClientCredentials</c>, or a
/// generic provider's <c>ClientCredentials</c>): the code is redeemed with a client assertion that the
/// local OpenIddict provider checks against the client's JSON Web Key Set, and no secret is sent.
/// </summary>
public abstract class ExternalSignInCertificateTests : IAsyncLifetime
{
    private const string Alice = "alice@example.nl";
    private const string ClientId = "omeportal-cert-test";
    private const string Password = "local-pfx-password";
    private readonly X509Certificate2 _registered = TestCertificates.Create("CN=OmePortal registered");
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
        _registered.Dispose();
    }

    /// <summary>
    /// The portal with the provider's settings from <paramref name="settings"/>, given the data directory
    /// the certificate files can be written to, and the client registered at the local provider with the public key of <see cref="_registered"/>.
    /// </summary>
    private async Task StartPortalAsync(Func<string, IDictionary<string, string?>> settings)
    {
        var data = TestEnvironment.NewTempDirectory("omeportal-test");
        var all = new Dictionary<string, string?>(settings(data)) { ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "1000" };
        var issuer = _idp.Issuer;
        _host = await new PortalHost(Storage, all, data)
        {
            // Microsoft.Identity.Web's issuer validator knows only Microsoft's clouds: name the local issuer (tests only).
            ServiceOverrides = services => services.PostConfigure<OpenIdConnectOptions>(ExternalProviders.MicrosoftScheme, o =>
                o.TokenValidationParameters.ValidIssuers = [issuer]),
        }.StartAsync();
        using var publicKey = TestCertificates.PublicOnly(_registered);
        await _idp.RegisterCertificateClientAsync(ClientId, [publicKey], $"{_host.BaseUrl}/signin-oidc", $"{_host.BaseUrl}/signin-oidc-acme");
    }

    private Dictionary<string, string?> MicrosoftSettings(string pfxPath) => new()
    {
        ["AzureAd:Instance"] = _idp.Instance,
        ["AzureAd:TenantId"] = _idp.TenantId,
        ["AzureAd:ClientId"] = ClientId,
        ["AzureAd:ClientCredentials:0:SourceType"] = "Path",
        ["AzureAd:ClientCredentials:0:CertificateDiskPath"] = pfxPath,
        ["AzureAd:ClientCredentials:0:CertificatePassword"] = Password,
        ["AzureAd:CallbackPath"] = "/signin-oidc",
        // Only because the local provider speaks plain http on loopback.
        ["AzureAd:RequireHttpsMetadata"] = "false",
    };

    private async Task<(Guid Id, string Path)> IngestAsync()
    {
        var message = await Host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", Alice));
        return (message.Id, new Uri(message.Link).AbsolutePath);
    }

    private static Task<HttpResponseMessage> FromLinkAsync(RecipientBrowserlessClient recipient, string linkPath, string provider = "microsoft") =>
        ExternalSignInFlow.RunAsync(recipient, linkPath, provider, new Dictionary<string, string> { ["link"] = linkPath["/m/".Length..] });

    private async Task<int> SessionCountAsync()
    {
        await using var scope = Host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().RecipientSessions.CountAsync();
    }

    /// <summary>The one code redemption the provider saw: a client assertion of <paramref name="certificate"/>, and no secret.</summary>
    private JsonWebToken AssertOneAssertionOf(X509Certificate2 certificate, string typ = "JWT")
    {
        var request = Assert.Single(_idp.TokenRequests);
        Assert.False(request.SentClientSecret);
        Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", request.ClientAssertionType);
        var assertion = new JsonWebToken(request.ClientAssertion!);
        Assert.Equal(typ, assertion.Typ);
        Assert.Equal(Base64UrlEncoder.Encode(certificate.GetCertHash()), assertion.X5t);
        Assert.Equal(ClientId, assertion.Issuer);
        Assert.Equal(ClientId, assertion.Subject);
        return assertion;
    }

    [Fact]
    public async Task MicrosoftWithCertificateFromPath_SignsIn_AndReadsTheMessage()
    {
        await StartPortalAsync(data => MicrosoftSettings(TestCertificates.WritePfx(_registered, data, Password)));
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        Assert.Equal($"/messages/{id}", callback.Headers.Location!.OriginalString);
        using var message = await recipient.Http.GetAsync($"/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        var assertion = AssertOneAssertionOf(_registered);
        Assert.Equal([$"{_idp.Issuer[..^"/v2.0".Length]}/oauth2/v2.0/token"], assertion.Audiences);
    }

    [Fact]
    public async Task CertificateTheProviderDoesNotKnow_IsRefusedByIt_AndTheRecipientSeesTheErrorPage()
    {
        using var stranger = TestCertificates.Create("CN=Not registered");
        await StartPortalAsync(data => MicrosoftSettings(TestCertificates.WritePfx(stranger, data, Password)));
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var location = callback.Headers.Location!.OriginalString;
        Assert.StartsWith("/signin/external/refused?r=", location, StringComparison.Ordinal);
        using var page = await recipient.Http.GetAsync(location);
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("Signing in with the account did not work", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        AssertOneAssertionOf(stranger);
        Assert.Equal(0, await SessionCountAsync());
        using var message = await recipient.Http.GetAsync($"/messages/{id}");
        Assert.NotEqual(HttpStatusCode.OK, message.StatusCode);
    }

    [Fact]
    public async Task GenericProviderWithBase64Certificate_SignsIn_AtAStrictRfc7523bisServer()
    {
        // Plain OpenIddict 7: typ client-authentication+jwt and aud the issuer, or nothing.
        _idp.AcceptsEntraClientAssertions = false;
        await StartPortalAsync(_ => new Dictionary<string, string?>
        {
            ["OmePortal:ExternalSignIn:Providers:acme:DisplayName"] = "Acme ID",
            ["OmePortal:ExternalSignIn:Providers:acme:Authority"] = _idp.Issuer,
            ["OmePortal:ExternalSignIn:Providers:acme:ClientId"] = ClientId,
            ["OmePortal:ExternalSignIn:Providers:acme:ClientCredentials:0:SourceType"] = "Base64Encoded",
            ["OmePortal:ExternalSignIn:Providers:acme:ClientCredentials:0:Base64EncodedValue"] = Convert.ToBase64String(_registered.Export(X509ContentType.Pfx)),
            ["OmePortal:ExternalSignIn:Providers:acme:RequireHttpsMetadata"] = "false",
        });
        var (id, link) = await IngestAsync();
        using var recipient = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(Alice, EmailVerified: true);

        using var callback = await FromLinkAsync(recipient, link, provider: "acme");

        Assert.Equal($"/messages/{id}", callback.Headers.Location?.OriginalString);
        var assertion = AssertOneAssertionOf(_registered, typ: "client-authentication+jwt");
        Assert.Equal([_idp.Issuer], assertion.Audiences);
    }
}

public sealed class ExternalSignInCertificateSqliteTests : ExternalSignInCertificateTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class ExternalSignInCertificatePostgresTests : ExternalSignInCertificateTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

/// <summary>A certificate credential that cannot be used stops the portal at start, naming the setting (no provider needed).</summary>
public sealed class ExternalSignInCertificateStartupTests
{
    private const string Password = "local-pfx-password";

    private static Dictionary<string, string?> MicrosoftSettings(string? pfxPath, string? password = Password) => new()
    {
        ["AzureAd:Instance"] = "http://127.0.0.1:9/",
        ["AzureAd:TenantId"] = Guid.NewGuid().ToString(),
        ["AzureAd:ClientId"] = "omeportal-cert-test",
        ["AzureAd:ClientCredentials:0:SourceType"] = "Path",
        ["AzureAd:ClientCredentials:0:CertificateDiskPath"] = pfxPath,
        ["AzureAd:ClientCredentials:0:CertificatePassword"] = password,
        ["AzureAd:RequireHttpsMetadata"] = "false",
    };

    private static async Task<string> StartFailureAsync(Func<string, Dictionary<string, string?>> settings)
    {
        var data = TestEnvironment.NewTempDirectory("omeportal-test");
        await using var host = new PortalHost(StorageKind.Sqlite, settings(data), data);
        var failure = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        return failure.ToString();
    }

    [Fact]
    public async Task MissingCertificateFile_FailsAtStart_NamingTheSetting()
    {
        var message = await StartFailureAsync(data => MicrosoftSettings(Path.Combine(data, "nowhere.pfx")));

        Assert.Contains("AzureAd:ClientCredentials:0:CertificateDiskPath: the certificate could not be loaded", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateWithoutPrivateKey_FailsAtStart()
    {
        using var certificate = TestCertificates.Create();

        var message = await StartFailureAsync(data => MicrosoftSettings(TestCertificates.WritePublicOnly(certificate, data), password: null));

        Assert.Contains($"AzureAd:ClientCredentials:0:CertificateDiskPath: the certificate {certificate.Thumbprint} has no private key", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredCertificate_FailsAtStart()
    {
        using var certificate = TestCertificates.Create(validFor: TimeSpan.FromDays(1), notBefore: DateTimeOffset.UtcNow.AddDays(-3));

        var message = await StartFailureAsync(data => MicrosoftSettings(TestCertificates.WritePfx(certificate, data, Password)));

        Assert.Contains($"AzureAd:ClientCredentials:0:CertificateDiskPath: the certificate {certificate.Thumbprint} expired", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShortRsaKey_FailsAtStart()
    {
        using var certificate = TestCertificates.Create(keySize: 1024);

        var message = await StartFailureAsync(data => MicrosoftSettings(TestCertificates.WritePfx(certificate, data, Password)));

        Assert.Contains("has an RSA key shorter than 2048 bits", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretAndCertificateTogether_FailAtStart()
    {
        using var certificate = TestCertificates.Create();

        var message = await StartFailureAsync(data => new Dictionary<string, string?>(MicrosoftSettings(TestCertificates.WritePfx(certificate, data, Password)))
        {
            ["AzureAd:ClientSecret"] = "also-a-secret",
        });

        Assert.Contains("AzureAd has both a client secret (AzureAd:ClientSecret) and a certificate", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnusableFirstCertificate_IsPassedOver_WhenALaterOneLoads()
    {
        using var certificate = TestCertificates.Create();
        var data = TestEnvironment.NewTempDirectory("omeportal-test");
        var settings = MicrosoftSettings(Path.Combine(data, "old-and-gone.pfx"));
        settings["AzureAd:ClientCredentials:1:SourceType"] = "Path";
        settings["AzureAd:ClientCredentials:1:CertificateDiskPath"] = TestCertificates.WritePfx(certificate, data, Password);
        settings["AzureAd:ClientCredentials:1:CertificatePassword"] = Password;
        await using var host = new PortalHost(StorageKind.Sqlite, settings, data);

        await host.StartAsync();

        var credential = host.Services.GetRequiredService<IOptionsMonitor<ExternalClientCredential>>().Get(ExternalProviders.MicrosoftScheme);
        Assert.Equal(certificate.Thumbprint, credential.Certificate?.Thumbprint);
        Assert.Null(host.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(ExternalProviders.MicrosoftScheme).ClientSecret);
    }

    [Fact]
    public async Task ClientSecretEntryInClientCredentials_IsTheSecretTheHandlerSends()
    {
        var data = TestEnvironment.NewTempDirectory("omeportal-test");
        var settings = MicrosoftSettings(pfxPath: null, password: null);
        settings["AzureAd:ClientCredentials:0:SourceType"] = "ClientSecret";
        settings["AzureAd:ClientCredentials:0:ClientSecret"] = "secret-from-the-list";
        await using var host = new PortalHost(StorageKind.Sqlite, settings, data);

        await host.StartAsync();

        Assert.Equal("secret-from-the-list", host.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(ExternalProviders.MicrosoftScheme).ClientSecret);
    }
}
