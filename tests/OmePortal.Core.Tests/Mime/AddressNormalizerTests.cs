using OmePortal.Core.Mime;

namespace OmePortal.Core.Tests.Mime;

public sealed class AddressNormalizerTests
{
    [Theory]
    [InlineData("  John.Doe@Example.COM ", "john.doe@example.com")]
    [InlineData("<Alice@Example.NET>", "alice@example.net")]
    [InlineData("user@example.org.", "user@example.org")]
    [InlineData("user@xn--mnchen-3ya.de", "user@münchen.de")]
    [InlineData("User@MÜNCHEN.de", "user@münchen.de")]
    public void Normalize_TrimsLowercasesAndUnicodesIdnDomains(string input, string expected)
    {
        Assert.Equal(expected, AddressNormalizer.Normalize(input));
    }

    [Theory]
    [InlineData("a@example.org")]
    [InlineData("first.last+tag@sub.example.co.uk")]
    [InlineData("\"quoted local\"@example.org")]
    [InlineData("jürgen@müller.de")]
    [InlineData("user@xn--mnchen-3ya.de")]
    [InlineData("o'brien@example.ie")]
    public void IsValid_UsableAddresses_True(string address)
    {
        Assert.True(AddressNormalizer.IsValid(address));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("plainaddress")]
    [InlineData("@example.org")]
    [InlineData("user@")]
    [InlineData("user@localhost")]
    [InlineData("user@[192.0.2.1]")]
    [InlineData(".user@example.org")]
    [InlineData("us..er@example.org")]
    [InlineData("us er@example.org")]
    [InlineData("user@-example.org")]
    [InlineData("user@example..org")]
    [InlineData("user@example.123")]
    [InlineData("user@exa_mple.org")]
    [InlineData("user\u0000@example.org")]
    public void IsValid_UnusableAddresses_False(string address)
    {
        Assert.False(AddressNormalizer.IsValid(address));
    }

    [Fact]
    public void IsValid_LocalPartOver64Characters_False()
    {
        Assert.False(AddressNormalizer.IsValid(new string('a', 65) + "@example.org"));
        Assert.True(AddressNormalizer.IsValid(new string('a', 64) + "@example.org"));
    }
}
