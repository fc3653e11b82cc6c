using System.Globalization;
using OmePortal.Core.Notifications;

namespace OmePortal.Core.Tests.Notifications;

/// <summary>The notification names only the sign-in methods the message really has (issue 20, item 5).</summary>
public sealed class NotificationSignInLineTests
{
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl");

    [Fact]
    public void PasscodeOnly_NamesThePasscodeAlone() =>
        Assert.Equal(
            "To read it, you confirm that you are the recipient: with a one-time passcode sent to this address.",
            NotificationComposer.SignInLine(new NotificationSignIn(true, false, []), English));

    [Fact]
    public void PasscodeAndMicrosoft_NamesBoth() =>
        Assert.Equal(
            "To read it, you confirm that you are the recipient: with a one-time passcode sent to this address, or by signing in with your Microsoft account.",
            NotificationComposer.SignInLine(new NotificationSignIn(true, true, []), English));

    [Fact]
    public void EveryWay_InDutch_ListsThemWithOfBeforeTheLast() =>
        Assert.Equal(
            "Om het te lezen, bevestigt u dat u de ontvanger bent: met een eenmalige code die naar dit adres wordt gestuurd, door u aan te melden met uw Microsoft-account, of door u aan te melden met Google.",
            NotificationComposer.SignInLine(new NotificationSignIn(true, true, ["Google"]), Dutch));

    [Fact]
    public void ProviderName_IsKeptOnOneLine() =>
        Assert.Equal(
            "To read it, you confirm that you are the recipient: by signing in with Acme ID.",
            NotificationComposer.SignInLine(new NotificationSignIn(false, false, ["Acme\r\nID"]), English));

    [Fact]
    public void NoWayOrUnknown_NamesNone()
    {
        Assert.Null(NotificationComposer.SignInLine(new NotificationSignIn(false, false, []), English));
        Assert.Null(NotificationComposer.SignInLine(null, English));
    }
}
