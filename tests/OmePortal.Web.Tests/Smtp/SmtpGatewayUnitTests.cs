using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using OmePortal.Web.Smtp;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Smtp;

public sealed class SmtpGatewayUnitTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.200.3.4", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("2001:db8::1", false)]
    public void AllowList_Default_IsLoopbackOnly(string address, bool allowed)
    {
        var list = NetworkAllowList.Parse(new SmtpGatewayOptions().EffectiveAllowedNetworks);
        Assert.Equal(allowed, list.Contains(IPAddress.Parse(address)));
    }

    [Fact]
    public void AllowList_MatchesRangesAndSingleAddresses()
    {
        var list = NetworkAllowList.Parse(["10.9.0.0/16", "192.0.2.7", "2001:db8::/32"]);
        Assert.True(list.Contains(IPAddress.Parse("10.9.200.1")));
        Assert.False(list.Contains(IPAddress.Parse("10.10.0.1")));
        Assert.True(list.Contains(IPAddress.Parse("192.0.2.7")));
        Assert.False(list.Contains(IPAddress.Parse("192.0.2.8")));
        Assert.True(list.Contains(IPAddress.Parse("2001:db8:1::5")));
        Assert.False(list.Contains(IPAddress.Parse("127.0.0.1")));
        Assert.False(list.Contains(null));
    }

    [Fact]
    public void Options_EmptyEntries_AllowNoNetwork()
    {
        var options = new SmtpGatewayOptions { AllowedNetworks = [""] };
        Assert.Empty(options.EffectiveAllowedNetworks);
        Assert.False(NetworkAllowList.Parse(options.EffectiveAllowedNetworks).Contains(IPAddress.Loopback));
    }

    [Theory]
    [InlineData("AllowedNetworks", "10.0.0.1/8")]
    [InlineData("AllowedNetworks", "not-a-network")]
    [InlineData("Host", "mail.example.com")]
    [InlineData("Port", "0")]
    [InlineData("MaxMessageBytes", "10")]
    [InlineData("ServerName", "has space")]
    [InlineData("TenantSlug", " ")]
    public void Options_Invalid_FailValidation(string property, string value)
    {
        var options = new SmtpGatewayOptions();
        switch (property)
        {
            case "AllowedNetworks": options.AllowedNetworks = [value]; break;
            case "Host": options.Host = value; break;
            case "Port": options.Port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "MaxMessageBytes": options.MaxMessageBytes = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "ServerName": options.ServerName = value; break;
            case "TenantSlug": options.TenantSlug = value; break;
        }

        var validator = new SmtpGatewayOptionsValidator();
        Assert.True(validator.Validate(null, options).Failed);
        Assert.True(validator.Validate(null, new SmtpGatewayOptions()).Succeeded);
        options.Enabled = false;
        Assert.True(validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void GeneratedCertificate_IsOwnerOnly_ServerAuth_AndReused()
    {
        var directory = TestEnvironment.NewTempDirectory("omeportal-smtp-cert");
        try
        {
            var options = new SmtpGatewayOptions { ServerName = "mail.contoso.test" };
            using var first = SmtpCertificates.Load(options, directory, TimeProvider.System, NullLogger.Instance);
            var path = Path.Combine(directory, SmtpGatewayOptions.GeneratedCertificateFileName);

            Assert.True(first.HasPrivateKey);
            Assert.Equal("CN=mail.contoso.test", first.Subject);
            Assert.Contains(first.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            using var second = SmtpCertificates.Load(options, directory, TimeProvider.System, NullLogger.Instance);
            Assert.Equal(first.Thumbprint, second.Thumbprint);

            // A configured certificate wins over the generated one.
            var configuredPath = Path.Combine(directory, "configured.pfx");
            File.WriteAllBytes(configuredPath, SmtpCertificates.CreateSelfSigned(new SmtpGatewayOptions { ServerName = "configured.contoso.test" }, TimeProvider.System));
            using var configured = SmtpCertificates.Load(new SmtpGatewayOptions { CertificatePath = "configured.pfx" }, directory, TimeProvider.System, NullLogger.Instance);
            Assert.Equal("CN=configured.contoso.test", configured.Subject);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
