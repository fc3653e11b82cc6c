using OmePortal.Core.EndToEnd;
using OmePortal.Core.Intake;

namespace OmePortal.Core.Tests.EndToEnd;

public sealed class DeliveryChoiceTests
{
    [Theory]
    [InlineData(RecipientKeyOffer.SMimeCertificate, DeliveryMethod.SMime, DeliveryReason.UsableCertificate)]
    [InlineData(RecipientKeyOffer.OpenPgpKey, DeliveryMethod.PgpMime, DeliveryReason.UsableOpenPgpKey)]
    [InlineData(RecipientKeyOffer.OpenPgpKeyInline, DeliveryMethod.PgpInline, DeliveryReason.UsableOpenPgpKeyInline)]
    [InlineData(RecipientKeyOffer.None, DeliveryMethod.Portal, DeliveryReason.NoUsableKey)]
    public void Choose_BestEncryptOnly_FollowsTheKey(RecipientKeyOffer key, DeliveryMethod method, DeliveryReason reason) =>
        Assert.Equal(new DeliveryDecision(method, reason), DeliveryChoice.Choose(DeliveryPreference.Best, ProtectionLevel.EncryptOnly, false, key));

    [Theory]
    [InlineData(RecipientKeyOffer.SMimeCertificate)]
    [InlineData(RecipientKeyOffer.OpenPgpKeyInline)]
    public void Choose_PortalPreference_IsPortalWhateverTheKey(RecipientKeyOffer key) =>
        Assert.Equal(
            new DeliveryDecision(DeliveryMethod.Portal, DeliveryReason.PortalRequested),
            DeliveryChoice.Choose(DeliveryPreference.Portal, ProtectionLevel.EncryptOnly, true, key));

    [Fact]
    public void Choose_DoNotForwardWithoutPermission_StaysOnThePortal()
    {
        var decision = DeliveryChoice.Choose(DeliveryPreference.Best, ProtectionLevel.DoNotForward, false, RecipientKeyOffer.OpenPgpKey);

        Assert.Equal(new DeliveryDecision(DeliveryMethod.Portal, DeliveryReason.DoNotForwardNeedsPortal), decision);
        Assert.False(decision.IsEndToEnd);
    }

    [Fact]
    public void Choose_DoNotForwardAllowedByRule_GoesEndToEnd()
    {
        var decision = DeliveryChoice.Choose(DeliveryPreference.Best, ProtectionLevel.DoNotForward, true, RecipientKeyOffer.SMimeCertificate);

        Assert.Equal(new DeliveryDecision(DeliveryMethod.SMime, DeliveryReason.UsableCertificate), decision);
        Assert.True(decision.IsEndToEnd);
    }

    [Fact]
    public void Choose_KeyButNoSmartHost_StaysOnThePortal() =>
        Assert.Equal(
            new DeliveryDecision(DeliveryMethod.Portal, DeliveryReason.NoSmartHost),
            DeliveryChoice.Choose(DeliveryPreference.Best, ProtectionLevel.EncryptOnly, false, RecipientKeyOffer.SMimeCertificate, smartHostConfigured: false));
}
