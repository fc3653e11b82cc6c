using System.Globalization;
using System.Resources;
using OmePortal.Core.Notifications;

namespace OmePortal.Core.Tests.Notifications;

public sealed class PasscodeMailResourcesTests
{
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl");
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");
    private static readonly string[] Placeholders = ["{reference}", "{minutes}", "{time}", "{sender}"];

    [Fact]
    public void EveryKey_ExistsInEnglishAndDutch_TranslatedWithTheSamePlaceholders()
    {
        var neutral = PasscodeMailResources.Manager.GetResourceSet(CultureInfo.InvariantCulture, createIfNotExists: true, tryParents: false);
        var dutch = PasscodeMailResources.Manager.GetResourceSet(Dutch, createIfNotExists: true, tryParents: false);
        Assert.NotNull(neutral);
        Assert.NotNull(dutch);

        foreach (var key in PasscodeMailResources.Keys)
        {
            var en = neutral.GetString(key);
            var nl = dutch.GetString(key);
            Assert.False(string.IsNullOrWhiteSpace(en), $"{key} missing in English");
            Assert.False(string.IsNullOrWhiteSpace(nl), $"{key} missing in Dutch");
            if (key != "LogoAlt")
            {
                Assert.NotEqual(en, nl);
            }

            foreach (var placeholder in Placeholders)
            {
                Assert.True(
                    en!.Contains(placeholder, StringComparison.Ordinal) == nl!.Contains(placeholder, StringComparison.Ordinal),
                    $"{key}: {placeholder} differs between English and Dutch");
            }
        }

        // Every key in the files is one the code knows (no dead or misspelt texts).
        var inFile = neutral.Cast<System.Collections.DictionaryEntry>().Select(e => (string)e.Key).Order(StringComparer.Ordinal);
        Assert.Equal(PasscodeMailResources.Keys.Order(StringComparer.Ordinal), inFile);
    }

    [Fact]
    public void Subject_HasTheReferencePlaceholder_InBothLanguages()
    {
        Assert.Equal("Your one-time passcode (reference {reference})", PasscodeMailResources.Get("Subject", English));
        Assert.Equal("Uw eenmalige toegangscode (referentie {reference})", PasscodeMailResources.Get("Subject", Dutch));
        Assert.Equal("Uw eenmalige toegangscode (referentie {reference})", PasscodeMailResources.Get("Subject", CultureInfo.GetCultureInfo("nl-BE")));
        Assert.Throws<MissingManifestResourceException>(() => PasscodeMailResources.Get("NoSuchKey", English));
    }
}
