using OmePortal.Core.Access;
using OmePortal.Core.Branding;
using OmePortal.Core.Intake;

namespace OmePortal.Core.Tests.Access;

public sealed class AccessPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private static readonly Guid MessageId = Guid.NewGuid();
    private static readonly Guid AliceRow = Guid.NewGuid();

    private static MessageFacts Message(
        SignInMethods allowed = SignInMethods.All, DateTimeOffset? expires = null, bool shredded = false, bool revoked = false) =>
        new(MessageId, ProtectionLevel.EncryptOnly, "sender@contoso.test", expires, shredded, allowed,
            [new RecipientFacts(AliceRow, "alice@example.nl", revoked)]);

    private static SignedInReader Alice(SignInMethods method) => new("Alice@Example.NL", method);

    [Theory]
    [InlineData(SignInMethods.Passcode)]
    [InlineData(SignInMethods.Passkey)]
    [InlineData(SignInMethods.External)]
    public void Decide_AllowedMethod_IsGranted(SignInMethods method)
    {
        var granted = Assert.IsType<AccessDecision.Granted>(AccessPolicy.Decide(Message(), Alice(method), Now));
        Assert.Equal(AliceRow, granted.RecipientId);
    }

    [Theory]
    [InlineData(SignInMethods.Passcode, SignInMethods.External)]
    [InlineData(SignInMethods.Passkey, SignInMethods.External)]
    [InlineData(SignInMethods.External, SignInMethods.Passcode | SignInMethods.Passkey)]
    [InlineData(SignInMethods.None, SignInMethods.All)]
    public void Decide_MethodTheBrandTurnedOff_NeedsOtherSignIn_ListingTheAllowedOnes(SignInMethods method, SignInMethods allowed)
    {
        var decision = AccessPolicy.Decide(Message(allowed), Alice(method), Now);

        Assert.Equal(new AccessDecision.NeedsOtherSignIn(allowed), decision);
    }

    [Fact]
    public void Decide_MethodTurnedOff_SaysNothingOfExpiryOrRevocation()
    {
        Assert.IsType<AccessDecision.NeedsOtherSignIn>(AccessPolicy.Decide(Message(SignInMethods.External, expires: Now.AddDays(-1)), Alice(SignInMethods.Passcode), Now));
        Assert.IsType<AccessDecision.NeedsOtherSignIn>(AccessPolicy.Decide(Message(SignInMethods.External, shredded: true), Alice(SignInMethods.Passcode), Now));
        Assert.IsType<AccessDecision.NeedsOtherSignIn>(AccessPolicy.Decide(Message(SignInMethods.External, revoked: true), Alice(SignInMethods.Passcode), Now));
    }

    [Fact]
    public void Decide_Stranger_IsNotARecipient_WhateverTheMethod_AsForAnUnknownMessage()
    {
        foreach (var method in new[] { SignInMethods.Passcode, SignInMethods.External, SignInMethods.None })
        {
            var stranger = new SignedInReader("mallory@example.nl", method);
            Assert.IsType<AccessDecision.NotARecipient>(AccessPolicy.Decide(Message(SignInMethods.Passcode), stranger, Now));
            Assert.IsType<AccessDecision.NotARecipient>(AccessPolicy.Decide(null, stranger, Now));
        }
    }

    [Fact]
    public void Decide_NobodySignedIn_NeedsSignIn_WithTheBrandsMethods_AndAnUnknownMessageLooksLikeADefaultOne()
    {
        Assert.Equal(new AccessDecision.NeedsSignIn(SignInMethods.External), AccessPolicy.Decide(Message(SignInMethods.External), null, Now));
        Assert.Equal(AccessPolicy.Decide(Message(), null, Now), AccessPolicy.Decide(null, null, Now));
    }

    [Fact]
    public void Decide_AllowedMethod_ThenExpiredAndRevokedAsBefore()
    {
        Assert.IsType<AccessDecision.Expired>(AccessPolicy.Decide(Message(expires: Now), Alice(SignInMethods.Passcode), Now));
        Assert.IsType<AccessDecision.Revoked>(AccessPolicy.Decide(Message(shredded: true), Alice(SignInMethods.Passcode), Now));
        Assert.IsType<AccessDecision.Revoked>(AccessPolicy.Decide(Message(revoked: true), Alice(SignInMethods.Passcode), Now));
    }

    [Fact]
    public void RefuseSignIn_TheSenderPath_UsesTheSameRule()
    {
        Assert.Null(AccessPolicy.RefuseSignIn(SignInMethods.Passcode | SignInMethods.Passkey, SignInMethods.Passkey));
        Assert.Equal(new AccessDecision.NeedsOtherSignIn(SignInMethods.Passcode), AccessPolicy.RefuseSignIn(SignInMethods.Passcode, SignInMethods.External));
        Assert.NotNull(AccessPolicy.RefuseSignIn(SignInMethods.All, SignInMethods.None));
    }

    [Fact]
    public void AllowedBy_PasscodeSwitchCarriesPasskeys_ExternalSwitchCarriesEveryProvider()
    {
        var brand = new BrandTemplate { Name = "T" };
        Assert.Equal(SignInMethods.All, SignInChoices.AllowedBy(brand));
        Assert.Equal(SignInMethods.External, SignInChoices.AllowedBy(brand with { OtpEnabled = false }));
        Assert.Equal(SignInMethods.Passcode | SignInMethods.Passkey, SignInChoices.AllowedBy(brand with { MicrosoftSignInEnabled = false }));
        Assert.Equal(SignInMethods.None, SignInChoices.AllowedBy(brand with { OtpEnabled = false, MicrosoftSignInEnabled = false }));
    }

    [Theory]
    [InlineData("passcode", SignInMethods.Passcode)]
    [InlineData("passkey", SignInMethods.Passkey)]
    [InlineData("microsoft", SignInMethods.External)]
    [InlineData("oidc:acme", SignInMethods.External)]
    [InlineData("oidc:", SignInMethods.None)]
    [InlineData("Passcode", SignInMethods.None)]
    [InlineData("sms", SignInMethods.None)]
    [InlineData("", SignInMethods.None)]
    [InlineData(null, SignInMethods.None)]
    public void MethodOf_KnownSessionNames_AndNothingForAnythingElse(string? name, SignInMethods expected) =>
        Assert.Equal(expected, SignInChoices.MethodOf(name));
}
