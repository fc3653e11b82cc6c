using OmePortal.Core.Access;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Access;

/// <summary>A passkey's sessions count as the method that verified the address when it was registered.</summary>
public sealed class PasskeyInheritanceTests
{
    [Theory]
    [InlineData(null, "passkey")]
    [InlineData("passcode", "passkey")]
    [InlineData("microsoft", "passkey/microsoft")]
    [InlineData("oidc:acme", "passkey/oidc:acme")]
    public void PasskeySessionMethod_InheritsTheRegisteringMethod(string? registeredWith, string expected) =>
        Assert.Equal(expected, SignInChoices.PasskeySessionMethod(registeredWith));

    [Theory]
    [InlineData("passkey", SignInMethods.Passkey)]
    [InlineData("passkey/microsoft", SignInMethods.External)]
    [InlineData("passkey/oidc:acme", SignInMethods.External)]
    [InlineData("passkey/passcode", SignInMethods.None)]
    [InlineData("passkey/", SignInMethods.None)]
    [InlineData("passkey/oidc:", SignInMethods.None)]
    [InlineData("passkey/passkey/microsoft", SignInMethods.None)]
    public void MethodOf_APasskeySession_IsWhatItInherited(string sessionMethod, SignInMethods expected) =>
        Assert.Equal(expected, SignInChoices.MethodOf(sessionMethod));

    [Theory]
    [InlineData("passcode", "passcode")]
    [InlineData("passkey", "passcode")]
    [InlineData("microsoft", "microsoft")]
    [InlineData("passkey/microsoft", "microsoft")]
    [InlineData("passkey/oidc:acme", "oidc:acme")]
    public void AddressProofOf_ASession_IsTheMethodANewPasskeyRecords(string sessionMethod, string expected) =>
        Assert.Equal(expected, SignInChoices.AddressProofOf(sessionMethod));

    [Fact]
    public void APasskeyFromAnExternalSession_IsAllowedOnlyWhereExternalSignInIs()
    {
        var method = SignInChoices.MethodOf(SignInChoices.PasskeySessionMethod("microsoft"));
        var passcodeOnly = SignInChoices.AllowedBy(new BrandTemplate { Name = "p", OtpEnabled = true, MicrosoftSignInEnabled = false });
        var externalOnly = SignInChoices.AllowedBy(new BrandTemplate { Name = "e", OtpEnabled = false, MicrosoftSignInEnabled = true });
        Assert.NotNull(AccessPolicy.RefuseSignIn(passcodeOnly, method));
        Assert.Null(AccessPolicy.RefuseSignIn(externalOnly, method));
    }
}
