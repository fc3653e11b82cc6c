using System.Globalization;
using System.Resources;
using OmePortal.Core.Notifications;

namespace OmePortal.Core.Tests.Notifications;

public sealed class NotificationResourcesTests
{
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl");
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");

    [Fact]
    public void DutchSatelliteAssembly_IsBuiltAndDeployed()
    {
        var core = typeof(NotificationComposer).Assembly;
        var satellite = Path.Combine(Path.GetDirectoryName(core.Location)!, "nl", "OmePortal.Core.resources.dll");
        Assert.True(File.Exists(satellite), satellite + " is missing");

        var set = NotificationResources.Manager.GetResourceSet(Dutch, createIfNotExists: true, tryParents: false);
        Assert.NotNull(set);
    }

    [Fact]
    public void EveryKey_ExistsInEnglishAndDutch_AndIsTranslated()
    {
        var neutral = NotificationResources.Manager.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false);
        var dutch = NotificationResources.Manager.GetResourceSet(Dutch, createIfNotExists: true, tryParents: false);
        Assert.NotNull(neutral);
        Assert.NotNull(dutch);

        foreach (var key in NotificationResources.Keys)
        {
            var en = neutral.GetString(key);
            var nl = dutch.GetString(key);
            Assert.False(string.IsNullOrWhiteSpace(en), $"{key} missing in English");
            Assert.False(string.IsNullOrWhiteSpace(nl), $"{key} missing in Dutch");
            if (key != "LogoAlt")
            {
                Assert.NotEqual(en, nl);
            }

            Assert.Equal(en!.Contains("{sender}", StringComparison.Ordinal), nl!.Contains("{sender}", StringComparison.Ordinal));
            Assert.Equal(en.Contains("{date}", StringComparison.Ordinal), nl.Contains("{date}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Get_PicksTheLanguage()
    {
        Assert.Equal("{sender} has sent you a protected message", NotificationResources.Get("Subject", English));
        Assert.Equal("{sender} heeft u een beveiligd bericht gestuurd", NotificationResources.Get("Subject", Dutch));
        Assert.Equal("{sender} heeft u een beveiligd bericht gestuurd", NotificationResources.Get("Subject", CultureInfo.GetCultureInfo("nl-BE")));
        Assert.Throws<MissingManifestResourceException>(() => NotificationResources.Get("NoSuchKey", English));
    }
}
