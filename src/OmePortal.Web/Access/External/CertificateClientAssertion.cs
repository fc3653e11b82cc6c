using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OmePortal.Web.Access.External;

/// <summary>
/// A certificate client credential (RFC 7523 <c>private_key_jwt</c>, as Microsoft Entra ID documents it
/// for certificate credentials): a short-lived JWT, <c>iss</c> = <c>sub</c> = the client id, signed RS256
/// with the certificate's private key and naming the certificate by its SHA-1 (<c>x5t</c>) and SHA-256
/// (<c>x5t#S256</c>) thumbprints so that the provider can pick the registered public key. Entra and
/// RFC 7523bis differ in <c>typ</c> and <c>aud</c>, so the caller names both. Each assertion has its own
/// <c>jti</c>, so a provider that remembers them refuses a replayed one; the short lifetime bounds what
/// a leaked one is worth.
/// </summary>
public static class CertificateClientAssertion
{
    /// <summary>The <c>client_assertion_type</c> that goes with the assertion on the token request.</summary>
    public const string JwtBearerType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>The <c>typ</c> Microsoft Entra ID documents (and MSAL sends).</summary>
    public const string JwtType = "JWT";

    /// <summary>
    /// The <c>typ</c> of RFC 7523bis, which servers that check the type (OpenIddict 7, for one) require so
    /// that no other JWT of the client can pass as its credential; servers that predate it ignore <c>typ</c>.
    /// </summary>
    public const string ClientAuthenticationType = "client-authentication+jwt";

    /// <summary>Long enough for a slow token request and some clock skew, short enough to be useless later.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private const string X5tS256 = "x5t#S256";

    /// <summary>Signs a new assertion for one token request.</summary>
    /// <param name="certificate">An RSA certificate with its private key.</param>
    /// <param name="clientId">The application (client) id: both <c>iss</c> and <c>sub</c>.</param>
    /// <param name="audience">The provider's token endpoint or issuer (see <see cref="ClientAssertionAudience"/>): the <c>aud</c>.</param>
    /// <param name="type">The header's <c>typ</c>: <see cref="JwtType"/> or <see cref="ClientAuthenticationType"/>.</param>
    /// <param name="now">The current time, for <c>iat</c>, <c>nbf</c> and <c>exp</c>.</param>
    /// <exception cref="InvalidOperationException">The certificate has no RSA private key.</exception>
    public static string Create(X509Certificate2 certificate, string clientId, string audience, string type, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        using (var key = certificate.HasPrivateKey ? certificate.GetRSAPrivateKey() : null)
        {
            if (key is null)
            {
                throw new InvalidOperationException($"The certificate {certificate.Thumbprint} has no RSA private key to sign a client assertion with.");
            }
        }

        var issuedAt = now.UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = type,
            Issuer = clientId,
            Audience = audience,
            IssuedAt = issuedAt,
            NotBefore = issuedAt,
            Expires = issuedAt + Lifetime,
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                [JwtRegisteredClaimNames.Sub] = clientId,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            // X509SigningCredentials makes the handler write x5t (SHA-1) itself; SHA-256 is added beside it.
            SigningCredentials = new X509SigningCredentials(certificate, SecurityAlgorithms.RsaSha256),
            AdditionalHeaderClaims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                [X5tS256] = Base64UrlEncoder.Encode(certificate.GetCertHash(HashAlgorithmName.SHA256)),
            },
        };

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
