using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Abstractions;
using Microsoft.Identity.Web;

namespace OmePortal.Web.Access.External;

/// <summary>
/// How one external sign-in scheme proves itself at its provider's token endpoint (named options, one
/// per scheme), read from the provider's section: <c>ClientSecret</c>, or Microsoft.Identity.Web's own
/// <c>ClientCredentials</c> (and older <c>ClientCertificates</c>) list of credential descriptions.
/// </summary>
public sealed class ExternalClientCredential
{
    /// <summary>The certificate that signs client assertions; null when the scheme uses a secret.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>A secret from a <c>SourceType: ClientSecret</c> description (the plain <c>ClientSecret</c> setting needs no help).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The client assertion's <c>typ</c> (see <see cref="CertificateClientAssertion"/>).</summary>
    public string AssertionType { get; set; } = CertificateClientAssertion.ClientAuthenticationType;

    /// <summary>The client assertion's <c>aud</c>.</summary>
    public ClientAssertionAudience AssertionAudience { get; set; } = ClientAssertionAudience.Issuer;

    /// <summary>What is wrong with the configuration, each naming its setting; start-up fails when not empty.</summary>
    public List<string> Problems { get; } = [];
}

/// <summary>Which of the provider's addresses a client assertion names as its audience (<c>aud</c>).</summary>
public enum ClientAssertionAudience
{
    /// <summary>RFC 7523bis: the issuer identifier, which current servers (OpenIddict 7, for one) insist on.</summary>
    Issuer,

    /// <summary>RFC 7523 as first published: the token endpoint. Microsoft Entra ID documents this one.</summary>
    TokenEndpoint,
}

/// <summary>
/// Certificate client credentials for external sign-in. The ASP.NET Core OpenID Connect handler
/// redeems the authorization code itself and knows only client secrets, and Microsoft.Identity.Web
/// uses certificates only through MSAL (token acquisition, which the portal does not need): so the
/// certificate is loaded here, with Microsoft.Identity.Web's own loader, checked at start-up, and
/// turned into a <see cref="CertificateClientAssertion"/> on each code redemption.
/// </summary>
/// <remarks>
/// The rules, as README states them: the descriptions are tried in order and the first certificate
/// that loads is used (as Microsoft.Identity.Web does, so an old and a new certificate can be listed
/// during a rollover; the ones passed over are logged). None loading is a start-up error naming each
/// setting. A usable certificate is an RSA key of at least 2048 bits with its private key, valid now.
/// A secret and a certificate together are refused at start-up: which one the provider would be shown
/// must not depend on a rule nobody remembers.
/// </remarks>
public static class ExternalClientCredentials
{
    private const int MinimumRsaKeySize = 2048;

    /// <summary>
    /// Reads, loads and validates at start-up the credentials of <paramref name="scheme"/> from
    /// <paramref name="section"/>; a certificate signs assertions of <paramref name="assertionType"/> for <paramref name="audience"/>.
    /// </summary>
    public static void Add(IServiceCollection services, string scheme, IConfigurationSection section, string assertionType, ClientAssertionAudience audience)
    {
        services.AddOptions<ExternalClientCredential>(scheme)
            .Configure<TimeProvider, ILoggerFactory>((credential, time, logs) =>
            {
                credential.AssertionType = assertionType;
                credential.AssertionAudience = audience;
                Load(credential, section, time.GetUtcNow(), logs.CreateLogger(typeof(ExternalClientCredentials)));
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ExternalClientCredential>, Validator>());

        // After every Configure (Microsoft.Identity.Web's included), so the handler sends exactly one credential.
        services.AddOptions<OpenIdConnectOptions>(scheme).PostConfigure<IOptionsMonitor<ExternalClientCredential>>((options, credentials) =>
        {
            var credential = credentials.Get(scheme);
            if (credential.Certificate is not null)
            {
                options.ClientSecret = null;
            }
            else if (credential.ClientSecret is not null)
            {
                options.ClientSecret = credential.ClientSecret;
            }
        });
    }

    /// <summary>
    /// <see cref="OpenIdConnectEvents.OnAuthorizationCodeReceived"/>: when the scheme has a certificate,
    /// the code is redeemed with a fresh client assertion (addressed as the scheme's <see cref="ClientAssertionAudience"/> says) instead of a secret.
    /// </summary>
    public static async Task AttachAssertionAsync(AuthorizationCodeReceivedContext context)
    {
        var services = context.HttpContext.RequestServices;
        var credential = services.GetRequiredService<IOptionsMonitor<ExternalClientCredential>>().Get(context.Scheme.Name);
        if (credential.Certificate is null || context.TokenEndpointRequest is not { } request)
        {
            return;
        }

        var configuration = context.Options.Configuration
            ?? await context.Options.ConfigurationManager!.GetConfigurationAsync(context.HttpContext.RequestAborted);
        var audience = credential.AssertionAudience == ClientAssertionAudience.Issuer ? configuration.Issuer : configuration.TokenEndpoint;
        if (string.IsNullOrEmpty(audience))
        {
            throw new InvalidOperationException($"The metadata of {context.Scheme.Name} has no {credential.AssertionAudience} to address a client assertion to.");
        }

        request.ClientSecret = null;
        request.ClientAssertionType = CertificateClientAssertion.JwtBearerType;
        request.ClientAssertion = CertificateClientAssertion.Create(
            credential.Certificate, context.Options.ClientId!, audience, credential.AssertionType, services.GetRequiredService<TimeProvider>().GetUtcNow());
    }

    private static void Load(ExternalClientCredential credential, IConfigurationSection section, DateTimeOffset now, ILogger logger)
    {
        var passedOver = new List<string>();
        var certificates = 0;
        var secrets = new List<string>();
        if (!string.IsNullOrEmpty(section["ClientSecret"]))
        {
            secrets.Add(section.Path + ":ClientSecret");
        }

        var entries = section.GetSection("ClientCredentials").GetChildren().Concat(section.GetSection("ClientCertificates").GetChildren());
        foreach (var entry in entries)
        {
            var description = entry.Get<CredentialDescription>();
            if (description is null || string.IsNullOrEmpty(entry["SourceType"]))
            {
                credential.Problems.Add($"{entry.Path}:SourceType is missing (Path, StoreWithThumbprint, StoreWithDistinguishedName, Base64Encoded, KeyVault or ClientSecret).");
                continue;
            }

            if (description.Skip)
            {
                continue;
            }

            switch (description.CredentialType)
            {
                case CredentialType.Secret:
                    secrets.Add(entry.Path);
                    credential.ClientSecret ??= string.IsNullOrEmpty(description.ClientSecret) ? null : description.ClientSecret;
                    continue;
                case CredentialType.Certificate:
                    certificates++;
                    break;
                default:
                    credential.Problems.Add($"{entry.Path}:SourceType {description.SourceType} is not supported for sign-in; use a certificate or a client secret.");
                    continue;
            }

            if (credential.Certificate is not null)
            {
                continue;
            }

            var setting = SettingOf(entry.Path, description.SourceType);
            var certificate = LoadCertificate(description, setting, now, out var problem);
            if (certificate is null)
            {
                passedOver.Add(problem!);
            }
            else
            {
                credential.Certificate = certificate;
            }
        }

        if (certificates > 0 && secrets.Count > 0)
        {
            credential.Problems.Add($"{section.Path} has both a client secret ({string.Join(", ", secrets)}) and a certificate: configure one of them.");
        }

        if (certificates > 0 && credential.Certificate is null)
        {
            credential.Problems.AddRange(passedOver);
        }
        else
        {
            foreach (var problem in passedOver)
            {
                logger.LogWarning("A listed sign-in certificate was passed over: {Problem}", problem);
            }
        }
    }

    private static X509Certificate2? LoadCertificate(CredentialDescription description, string setting, DateTimeOffset now, out string? problem)
    {
        X509Certificate2? certificate;
        try
        {
            // The same loader Microsoft.Identity.Web uses, so every source type it documents works alike.
            var loadable = new CertificateDescription(description);
            new DefaultCertificateLoader().LoadIfNeeded(loadable);
            certificate = loadable.Certificate;
        }
        catch (Exception e)
        {
            problem = $"{setting}: the certificate could not be loaded: {e.Message}";
            return null;
        }

        problem = Unusable(certificate, setting, now);
        if (problem is not null)
        {
            certificate?.Dispose();
            return null;
        }

        return certificate;
    }

    private static string? Unusable(X509Certificate2? certificate, string setting, DateTimeOffset now)
    {
        if (certificate is null)
        {
            return $"{setting}: no certificate was found.";
        }

        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
        {
            return $"{setting}: the certificate {certificate.Thumbprint} is not an RSA certificate.";
        }

        if (rsa.KeySize < MinimumRsaKeySize)
        {
            return $"{setting}: the certificate {certificate.Thumbprint} has an RSA key shorter than {MinimumRsaKeySize} bits.";
        }

        if (!certificate.HasPrivateKey)
        {
            return $"{setting}: the certificate {certificate.Thumbprint} has no private key.";
        }

        if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime)
        {
            return $"{setting}: the certificate {certificate.Thumbprint} expired on {certificate.NotAfter.ToUniversalTime():u}.";
        }

        return certificate.NotBefore.ToUniversalTime() > now.UtcDateTime
            ? $"{setting}: the certificate {certificate.Thumbprint} is not valid before {certificate.NotBefore.ToUniversalTime():u}."
            : null;
    }

    /// <summary>The setting an operator has to look at, e.g. <c>AzureAd:ClientCredentials:0:CertificateDiskPath</c>.</summary>
    private static string SettingOf(string entryPath, CredentialSource source) => source switch
    {
        CredentialSource.Path => entryPath + ":CertificateDiskPath",
        CredentialSource.StoreWithThumbprint => entryPath + ":CertificateThumbprint",
        CredentialSource.StoreWithDistinguishedName => entryPath + ":CertificateDistinguishedName",
        CredentialSource.Base64Encoded => entryPath + ":Base64EncodedValue",
        CredentialSource.KeyVault => entryPath + ":KeyVaultCertificateName",
        _ => entryPath,
    };

    private sealed class Validator : IValidateOptions<ExternalClientCredential>
    {
        public ValidateOptionsResult Validate(string? name, ExternalClientCredential options) =>
            options.Problems.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(options.Problems.Select(p => $"External sign-in {name}: {p}"));
    }
}
