using System.Security.Claims;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Tests.Access;

/// <summary>The nOAuth rule: only an address the identity provider vouches for becomes a recipient address.</summary>
public sealed class VerifiedAddressRuleTests
{
    private const string Personal = VerifiedAddressRule.MicrosoftPersonalAccountsTenantId;
    private static readonly string Work = "0b5c4b1e-7b8f-4a51-9c55-2a8f0b2f3f10";

    private static ExternalAddress Evaluate(ExternalProviderKind kind, string[]? allowed, params (string Type, string Value)[] claims) =>
        VerifiedAddressRule.Evaluate(claims.Select(c => new Claim(c.Type, c.Value)), kind, allowed ?? []);

    [Theory]
    [InlineData("true")]
    [InlineData("True")]
    [InlineData("1")]
    public void EmailMarkedVerified_IsAccepted_Normalised(string verified)
    {
        var result = Evaluate(ExternalProviderKind.OpenIdConnect, null, ("email", " Alice@Example.NL "), ("email_verified", verified));
        Assert.Equal(new ExternalAddress.Verified("alice@example.nl"), result);
    }

    [Fact]
    public void EmailWithoutVerification_IsRefused()
    {
        Assert.IsType<ExternalAddress.Unverified>(Evaluate(ExternalProviderKind.Microsoft, null, ("email", "alice@example.nl"), ("tid", Work)));
        Assert.IsType<ExternalAddress.Unverified>(Evaluate(ExternalProviderKind.OpenIdConnect, null, ("email", "alice@example.nl"), ("email_verified", "false")));
    }

    [Fact]
    public void EntraDomainOwnerVerified_CountsForMicrosoftOnly()
    {
        Assert.Equal(new ExternalAddress.Verified("alice@example.nl"),
            Evaluate(ExternalProviderKind.Microsoft, null, ("email", "alice@example.nl"), ("xms_edov", "true"), ("tid", Work)));
        Assert.IsType<ExternalAddress.Unverified>(
            Evaluate(ExternalProviderKind.OpenIdConnect, null, ("email", "alice@example.nl"), ("xms_edov", "true")));
        Assert.IsType<ExternalAddress.Unverified>(
            Evaluate(ExternalProviderKind.Microsoft, null, ("email", "alice@example.nl"), ("xms_edov", "false"), ("tid", Work)));
    }

    [Fact]
    public void PersonalAccount_PreferredUsernameIsTheAddress()
    {
        Assert.Equal(new ExternalAddress.Verified("alice@outlook.com"),
            Evaluate(ExternalProviderKind.Microsoft, null, ("preferred_username", "Alice@Outlook.com"), ("tid", Personal.ToUpperInvariant())));
    }

    [Fact]
    public void WorkAccount_PreferredUsernameAlone_IsRefused()
    {
        // A work account's sign-in name is a UPN an administrator chose, not a verified mailbox.
        Assert.IsType<ExternalAddress.Unverified>(
            Evaluate(ExternalProviderKind.Microsoft, null, ("preferred_username", "alice@example.nl"), ("tid", Work)));
    }

    [Fact]
    public void PersonalTenantClaim_FromAnotherProvider_ProvesNothing()
    {
        Assert.IsType<ExternalAddress.Unverified>(
            Evaluate(ExternalProviderKind.OpenIdConnect, null, ("preferred_username", "alice@outlook.com"), ("tid", Personal)));
    }

    [Fact]
    public void NoUsableAddress_IsRefused()
    {
        Assert.IsType<ExternalAddress.Unverified>(Evaluate(ExternalProviderKind.OpenIdConnect, null, ("email", "not an address"), ("email_verified", "true")));
        Assert.IsType<ExternalAddress.Unverified>(Evaluate(ExternalProviderKind.Microsoft, null, ("upn", "alice@example.nl"), ("unique_name", "alice@example.nl"), ("tid", Work)));
        Assert.IsType<ExternalAddress.Unverified>(Evaluate(ExternalProviderKind.Microsoft, null));
    }

    [Fact]
    public void TenantRestriction_IsCheckedFirst()
    {
        string[] allowed = [Work];
        Assert.IsType<ExternalAddress.TenantNotAllowed>(
            Evaluate(ExternalProviderKind.Microsoft, allowed, ("email", "alice@example.nl"), ("email_verified", "true"), ("tid", Guid.NewGuid().ToString())));
        Assert.IsType<ExternalAddress.TenantNotAllowed>(
            Evaluate(ExternalProviderKind.Microsoft, allowed, ("email", "alice@example.nl"), ("email_verified", "true")));
        Assert.Equal(new ExternalAddress.Verified("alice@example.nl"),
            Evaluate(ExternalProviderKind.Microsoft, allowed, ("email", "alice@example.nl"), ("email_verified", "true"), ("tid", Work.ToUpperInvariant())));
    }
}
