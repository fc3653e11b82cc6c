using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OmePortal.Testing;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Tests.Access;

/// <summary>The certificate client credential (RFC 7523 <c>private_key_jwt</c>, as Microsoft Entra ID expects it).</summary>
public sealed class ClientAssertionTests : IDisposable
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

    [Fact]
    public void Create_Header_NamesTheCertificateByItsThumbprints()
    {
        var token = new JsonWebToken(ClientAssertion.Create(_certificate, ClientId, TokenEndpoint, DateTimeOffset.UtcNow));

        Assert.Equal("RS256", token.Alg);
        Assert.Equal("JWT", token.Typ);
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
            ClientAssertion.Create(_certificate, ClientId, TokenEndpoint, now), Parameters(publicOnly));

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
            ClientAssertion.Create(_certificate, ClientId, TokenEndpoint, DateTimeOffset.UtcNow), Parameters(otherPublic));

        Assert.False(result.IsValid);
        Assert.IsAssignableFrom<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    [Fact]
    public void Create_TwoAssertions_HaveDifferentIds()
    {
        var now = DateTimeOffset.UtcNow;
        var first = new JsonWebToken(ClientAssertion.Create(_certificate, ClientId, TokenEndpoint, now));
        var second = new JsonWebToken(ClientAssertion.Create(_certificate, ClientId, TokenEndpoint, now));

        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public void Create_CertificateWithoutPrivateKey_Throws()
    {
        using var publicOnly = TestCertificates.PublicOnly(_certificate);

        Assert.Throws<InvalidOperationException>(() => ClientAssertion.Create(publicOnly, ClientId, TokenEndpoint, DateTimeOffset.UtcNow));
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
