using System.ComponentModel.DataAnnotations;
using OmePortal.Web.Access.Passkeys;

namespace OmePortal.Web.Tests.Access;

public sealed class PasskeyOptionsTests
{
    [Theory]
    [InlineData("https://portal.example.com/", "portal.example.com", "https://portal.example.com")]
    [InlineData("http://localhost:5080", "localhost", "http://localhost:5080")]
    [InlineData("http://127.0.0.1:5080", "localhost", "http://127.0.0.1:5080")]
    [InlineData(null, "localhost", null)]
    public void DeriveDefaults_FromThePublicUrl_TakesItsHostNameAndOrigin(string? publicBaseUrl, string rpId, string? origin)
    {
        var options = new PasskeyOptions();
        options.DeriveDefaults(publicBaseUrl);
        Assert.Equal(rpId, options.RelyingPartyId);
        Assert.Equal(origin is null ? [] : [origin], options.Origins);
    }

    [Fact]
    public void DeriveDefaults_KeepsWhatWasConfigured()
    {
        var options = new PasskeyOptions { RelyingPartyId = "example.com", Origins = ["https://mail.example.com"] };
        options.DeriveDefaults("https://portal.example.com");
        Assert.Equal("example.com", options.RelyingPartyId);
        Assert.Equal(["https://mail.example.com"], options.Origins);
    }

    [Theory]
    [InlineData("127.0.0.1", null)]
    [InlineData("[::1]", null)]
    [InlineData("portal.example.com", "https://portal.example.com/path")]
    [InlineData("portal.example.com", "portal.example.com")]
    [InlineData("not a host", null)]
    public void Validate_IpAddressesAndNonOrigins_AreRefused(string rpId, string? origin)
    {
        var options = new PasskeyOptions { RelyingPartyId = rpId, Origins = origin is null ? [] : [origin] };
        Assert.NotEmpty(Errors(options));
    }

    [Fact]
    public void Validate_AHostNameAndOrigins_IsAccepted() =>
        Assert.Empty(Errors(new PasskeyOptions { RelyingPartyId = "portal.example.com", Origins = ["https://portal.example.com", "http://localhost:5080/"] }));

    private static List<ValidationResult> Errors(PasskeyOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
