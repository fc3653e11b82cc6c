using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OmePortal.Testing;

/// <summary>Who the local provider signs in next, claim by claim (null: the claim is left out).</summary>
public sealed record LocalOidcIdentity(
    string? Email,
    bool? EmailVerified = null,
    bool? EmailDomainOwnerVerified = null,
    string? PreferredUsername = null,
    string? TenantId = null)
{
    public string Subject { get; init; } = Guid.NewGuid().ToString("N");
}

/// <summary>How a client authenticated one token request (the code redemption), as the provider received it.</summary>
public sealed record LocalTokenRequest(bool SentClientSecret, string? ClientAssertionType, string? ClientAssertion);

/// <summary>
/// An OpenID Connect provider on 127.0.0.1 (OpenIddict, SQLite store), shaped like Microsoft's v2.0
/// endpoint: issuer <c>http://127.0.0.1:PORT/{tenant}/v2.0</c>, metadata below it, authorization code
/// flow with PKCE required, answers by <c>form_post</c>. It signs in whoever <see cref="NextIdentity"/>
/// says, without a login page, and puts exactly those claims into the ID token.
/// </summary>
public sealed class LocalOidcProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private LocalOidcProvider(WebApplication app, int port, string tenantId, string directory)
    {
        _app = app;
        Port = port;
        TenantId = tenantId;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>The directory tenant in the issuer and, unless an identity says otherwise, in <c>tid</c>.</summary>
    public string TenantId { get; }

    /// <summary>For <c>AzureAd:Instance</c>.</summary>
    public string Instance => $"http://127.0.0.1:{Port}/";

    /// <summary>The issuer, which is also the authority of a generic provider.</summary>
    public string Issuer => $"http://127.0.0.1:{Port}/{TenantId}/v2.0";

    /// <summary>The identity the next authorization request signs in.</summary>
    public LocalOidcIdentity NextIdentity { get; set; } = new("someone@example.nl", EmailVerified: true);

    /// <summary>The <c>code_challenge_method</c> of every authorization request seen (proves PKCE).</summary>
    public ConcurrentQueue<string?> CodeChallengeMethods { get; } = new();

    /// <summary>
    /// Whether client assertions shaped as Microsoft Entra ID wants them (<c>typ</c> JWT, <c>aud</c> the token
    /// endpoint) are accepted besides RFC 7523bis's (<c>typ</c> client-authentication+jwt, <c>aud</c> the issuer).
    /// </summary>
    public bool AcceptsEntraClientAssertions { get; set; } = true;

    /// <summary>Every token request seen, whether or not the client authentication succeeded.</summary>
    public ConcurrentQueue<LocalTokenRequest> TokenRequests { get; } = new();

    public static async Task<LocalOidcProvider> StartAsync(string? tenantId = null)
    {
        var tenant = tenantId ?? Guid.NewGuid().ToString();
        var port = TestEnvironment.FreePort();
        var directory = TestEnvironment.NewTempDirectory("omeportal-idp");
        var databasePath = Path.Combine(directory, "idp.db");
        var origin = $"http://127.0.0.1:{port}";
        LocalOidcProvider? provider = null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls(origin);
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<IdpDbContext>(o => o.UseSqlite($"Data Source={databasePath}").UseOpenIddict());
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<IdpDbContext>())
            .AddServer(o =>
            {
                o.SetIssuer(new Uri($"{origin}/{tenant}/v2.0"));
                o.SetConfigurationEndpointUris(new Uri($"{origin}/{tenant}/v2.0/.well-known/openid-configuration"))
                    .SetAuthorizationEndpointUris(new Uri($"{origin}/{tenant}/oauth2/v2.0/authorize"))
                    .SetTokenEndpointUris(new Uri($"{origin}/{tenant}/oauth2/v2.0/token"))
                    .SetJsonWebKeySetEndpointUris(new Uri($"{origin}/{tenant}/discovery/v2.0/keys"));
                o.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().RequireProofKeyForCodeExchange();
                o.RegisterScopes(Scopes.Email, Scopes.Profile, Scopes.OfflineAccess);
                o.IgnoreScopePermissions().IgnoreEndpointPermissions().IgnoreGrantTypePermissions().IgnoreResponseTypePermissions();
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey().DisableAccessTokenEncryption();
                o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
                // Microsoft Entra ID wants client assertions typed "JWT" and addressed to its token endpoint
                // (as MSAL sends them); OpenIddict 7 accepts only RFC 7523bis's type and the issuer. Unless
                // switched off, the provider accepts Entra's shape as well, just before the signature check...
                o.AddEventHandler<OpenIddictServerEvents.ValidateTokenContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (provider!.AcceptsEntraClientAssertions && context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion))
                        {
                            if (context.TokenValidationParameters?.ValidTypes is { } types)
                            {
                                context.TokenValidationParameters.ValidTypes = [.. types, JsonWebTokenTypes.GenericJsonWebToken];
                            }

                            context.ValidAudiences.Add($"{origin}/{tenant}/oauth2/v2.0/token");
                        }

                        return ValueTask.CompletedTask;
                    })
                    .SetOrder(OpenIddictServerHandlers.Protection.ValidateIdentityModelToken.Descriptor.Order - 1));
                // ...and, as OpenIddict takes a "JWT" for an ID token, names it a client assertion again right after.
                o.AddEventHandler<OpenIddictServerEvents.ValidateTokenContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (provider!.AcceptsEntraClientAssertions
                            && context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion)
                            && context.Principal is { } principal
                            && principal.GetTokenType() == TokenTypeIdentifiers.IdentityToken)
                        {
                            context.Principal = principal.SetTokenType(TokenTypeIdentifiers.Private.ClientAssertion);
                        }

                        return ValueTask.CompletedTask;
                    })
                    .SetOrder(OpenIddictServerHandlers.Protection.ValidateIdentityModelToken.Descriptor.Order + 1));
                // Last, so the request has been read from the form; before the client is authenticated.
                o.AddEventHandler<OpenIddictServerEvents.ExtractTokenRequestContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (context.Request is { } request)
                        {
                            provider!.TokenRequests.Enqueue(new LocalTokenRequest(request.ClientSecret is not null, request.ClientAssertionType, request.ClientAssertion));
                        }

                        return ValueTask.CompletedTask;
                    })
                    .SetOrder(int.MaxValue));
            });

        var app = builder.Build();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IdpDbContext>().Database.EnsureCreatedAsync();
        }

        app.MapMethods($"/{tenant}/oauth2/v2.0/authorize", [HttpMethods.Get, HttpMethods.Post], (HttpContext context) =>
        {
            var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
            provider!.CodeChallengeMethods.Enqueue(request.CodeChallengeMethod);
            var who = provider.NextIdentity;
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.AddClaim(new Claim(Claims.Subject, who.Subject));
            identity.AddClaim(new Claim("tid", who.TenantId ?? tenant));
            Add(identity, Claims.Email, who.Email);
            Add(identity, Claims.PreferredUsername, who.PreferredUsername);
            Add(identity, Claims.EmailVerified, who.EmailVerified);
            Add(identity, "xms_edov", who.EmailDomainOwnerVerified);
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.IdentityToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });
        await app.StartAsync();
        provider = new LocalOidcProvider(app, port, tenant, directory);
        return provider;
    }

    /// <summary>Registers a confidential client with its secret and redirect URIs (PKCE required).</summary>
    public async Task RegisterClientAsync(string clientId, string clientSecret, params string[] redirectUris)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = clientSecret,
            ClientType = ClientTypes.Confidential,
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in redirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri));
        }

        await manager.CreateAsync(descriptor);
    }

    /// <summary>
    /// Registers a confidential client that authenticates with a client assertion (<c>private_key_jwt</c>)
    /// signed by one of <paramref name="certificates"/> (their public keys form its JSON Web Key Set), and no secret.
    /// </summary>
    public async Task RegisterCertificateClientAsync(string clientId, IEnumerable<X509Certificate2> certificates, params string[] redirectUris)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var keys = new JsonWebKeySet();
        foreach (var certificate in certificates)
        {
            keys.Keys.Add(JsonWebKeyConverter.ConvertFromX509SecurityKey(new X509SecurityKey(certificate), representAsRsaKey: true));
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientType = ClientTypes.Confidential,
            JsonWebKeySet = keys,
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in redirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri));
        }

        await manager.CreateAsync(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Add(ClaimsIdentity identity, string type, string? value)
    {
        if (value is not null)
        {
            identity.AddClaim(new Claim(type, value));
        }
    }

    private static void Add(ClaimsIdentity identity, string type, bool? value)
    {
        if (value is { } flag)
        {
            identity.AddClaim(new Claim(type, flag ? "true" : "false", ClaimValueTypes.Boolean));
        }
    }

    private sealed class IdpDbContext(DbContextOptions<IdpDbContext> options) : DbContext(options);
}
