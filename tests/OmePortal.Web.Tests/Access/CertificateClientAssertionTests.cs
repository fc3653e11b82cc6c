using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OmePortal.Testing;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Tests.Access;

/// <summary>The certificate client credential (RFC 7523 <c>private_key_jwt</c>, as Microsoft Entra ID expects it).</summary>
public sealed class CertificateClientAssertionTests : IDisposable
{
    private const string ClientId = "11111111-2222-3333-4444-555555555555";
    private const string TokenEndpoint = "https://login.microsoftonline.com/contoso/oauth2/v2.0/token";
    private readonly X509Certificate2 _certificate = TestCertificates.Create();
    private readonly X509Certificate2 _other = TestCertificates.Create("CN=Someone else");

    public void Dispose()
    {
        _certificate.Dispose();
        _other.Dispose();
    }

    [Theory]
    [InlineData(CertificateClientAssertion.JwtType, "JWT")]
    [InlineData(CertificateClientAssertion.ClientAuthenticationType, "client-authentication+jwt")]
    public void Create_Header_NamesTheCertificateByItsThumbprints(string type, string typ)
    {
        var token = new JsonWebToken(CertificateClientAssertion.Create(_certificate, ClientId, TokenEndpoint, type, DateTimeOffset.UtcNow));

        Assert.Equal("RS256", token.Alg);
        Assert.Equal(typ, token.Typ);
        Assert.Equal(Base64UrlEncoder.Encode(_certificate.GetCertHash()), token.X5t);
        Assert.True(token.TryGetHeaderValue<string>("x5t#S256", out var x5tS256));
        Assert.Equal(Base64UrlEncoder.Encode(_certificate.GetCertHash(HashAlgorithmName.SHA256)), x5tS256);
    }

    [Fact]
    public async Task Create_SignatureVerifiesWithThePublicKey_AndTheClaimsAreThoseOfRfc7523()
    {
        var now = DateTimeOffset.UtcNow;
        using var publicOnly = TestCertificates.PublicOnly(_certificate);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(
            CertificateClientAssertion.Create(_certificate, ClientId, TokenEndpoint, CertificateClientAssertion.JwtType, now), Parameters(publicOnly));

        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal(ClientId, token.Issuer);
        Assert.Equal(ClientId, token.Subject);
        Assert.Equal([TokenEndpoint], token.Audiences);
        Assert.False(string.IsNullOrEmpty(token.Id));
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).UtcDateTime;
        Assert.Equal(issuedAt, token.IssuedAt);
        Assert.Equal(issuedAt, token.ValidFrom);
        Assert.Equal(issuedAt + TimeSpan.FromMinutes(5), token.ValidTo);
    }

    [Fact]
    public async Task Create_SignatureDoesNotVerify_WithAnotherCertificatesKey()
    {
        using var otherPublic = TestCertificates.PublicOnly(_other);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(
            CertificateClientAssertion.Create(_certificate, ClientId, TokenEndpoint, CertificateClientAssertion.JwtType, DateTimeOffset.UtcNow), Parameters(otherPublic));

        Assert.False(result.IsValid);
        Assert.IsAssignableFrom<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    [Fact]
    public void Create_TwoAssertions_HaveDifferentIds()
    {
        var now = DateTimeOffset.UtcNow;
        var first = new JsonWebToken(CertificateClientAssertion.Create(_certificate, ClientId, TokenEndpoint, CertificateClientAssertion.JwtType, now));
        var second = new JsonWebToken(CertificateClientAssertion.Create(_certificate, ClientId, TokenEndpoint, CertificateClientAssertion.JwtType, now));

        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public void Create_CertificateWithoutPrivateKey_Throws()
    {
        using var publicOnly = TestCertificates.PublicOnly(_certificate);

        Assert.Throws<InvalidOperationException>(() => CertificateClientAssertion.Create(publicOnly, ClientId, TokenEndpoint, CertificateClientAssertion.JwtType, DateTimeOffset.UtcNow));
    }

    private static TokenValidationParameters Parameters(X509Certificate2 publicKey) => new()
    {
        IssuerSigningKey = new X509SecurityKey(publicKey),
        ValidIssuer = ClientId,
        ValidAudience = TokenEndpoint,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        RequireSignedTokens = true,
        TryAllIssuerSigningKeys = true,
    };
}
