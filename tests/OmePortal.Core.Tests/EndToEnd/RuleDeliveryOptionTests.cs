using OmePortal.Core.EndToEnd;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;

namespace OmePortal.Core.Tests.EndToEnd;

public sealed class RuleDeliveryOptionTests
{
    [Fact]
    public void ActionJson_BestWithDoNotForward_RoundTrips()
    {
        var action = RuleAction.Encrypt(ProtectionLevel.DoNotForward) with { Delivery = DeliveryPreference.Best, EndToEndForDoNotForward = true };

        var json = RuleSerializer.ToJson(action);

        Assert.Contains("\"delivery\":\"Best\"", json, StringComparison.Ordinal);
        Assert.Equal(action, RuleSerializer.ActionFromJson(json));
    }

    [Fact]
    public void ActionJson_StoredBeforeDeliveryExisted_LoadsAsPortal()
    {
        var action = RuleSerializer.ActionFromJson("""{"kind":"Encrypt","templateId":null,"protection":"EncryptOnly","expiryDays":null}""");

        Assert.Equal(DeliveryPreference.Portal, action.Delivery);
        Assert.False(action.EndToEndForDoNotForward);
    }

    [Theory]
    [InlineData("""{"kind":"Encrypt","protection":"EncryptOnly","delivery":"Fastest"}""")]
    [InlineData("""{"kind":"DoNotEncrypt","protection":"EncryptOnly","delivery":"Best"}""")]
    [InlineData("""{"kind":"DoNotEncrypt","protection":"EncryptOnly","endToEndForDoNotForward":true}""")]
    public void ActionJson_InvalidDelivery_IsRefused(string json) =>
        Assert.Throws<RuleFormatException>(() => RuleSerializer.ActionFromJson(json));
}
