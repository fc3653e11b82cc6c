using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Branding;

public sealed class BrandTextsTests
{
    [Fact]
    public void TextsFor_FallsBackPerField_ToTheDefaultLanguage()
    {
        var brand = BrandTestData.FullBrand(); // nl has introduction, button and portal text only

        var nl = brand.TextsFor("nl");

        Assert.Equal("{sender} stuurde u iets beveiligds.", nl.IntroductionText);
        Assert.Equal("Veilig openen", nl.ReadButtonText);
        Assert.Equal("Contoso-portaal", nl.PortalText);
        Assert.Equal("Contoso disclaimer EN", nl.DisclaimerText);
        Assert.Equal("Contoso keeps it safe.\nLine two.", nl.EmailText);
    }

    [Theory]
    [InlineData("nl-BE")]
    [InlineData("NL")]
    [InlineData("nl_NL")]
    public void TextsFor_AcceptsLanguageTags(string tag)
    {
        Assert.Equal("Veilig openen", BrandTestData.FullBrand().TextsFor(tag).ReadButtonText);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("de")]
    public void TextsFor_UnknownLanguage_UsesTheDefaultLanguage(string? language)
    {
        Assert.Equal("Open securely", BrandTestData.FullBrand().TextsFor(language).ReadButtonText);
        Assert.Equal("Veilig openen", (BrandTestData.FullBrand() with { DefaultLanguage = "nl" }).TextsFor(language).ReadButtonText);
    }

    [Fact]
    public void TextsFor_MissingEverywhere_UsesTheBuiltInTextOfTheRequestedLanguage()
    {
        var brand = new BrandTemplate
        {
            Name = "Dutch first",
            DefaultLanguage = "nl",
            Texts = new Dictionary<string, BrandTexts> { ["nl"] = new() { DisclaimerText = "Alleen NL" } },
        };

        var en = brand.TextsFor("en");
        Assert.Equal("Alleen NL", en.DisclaimerText);           // default language beats built-in
        Assert.Equal("Read the message", en.ReadButtonText);   // built-in, English

        var nl = brand.TextsFor("nl");
        Assert.Equal("Lees het bericht", nl.ReadButtonText);   // built-in, Dutch (from the satellite assembly)
        Assert.Equal("{sender} heeft u een beveiligd bericht gestuurd.", nl.IntroductionText);
    }

    [Fact]
    public void TextsFor_EveryFieldIsSet()
    {
        foreach (var language in BrandLanguages.Supported)
        {
            var texts = new BrandTemplate { Name = "Empty" }.TextsFor(language);
            Assert.All(
                new[] { texts.IntroductionText, texts.ReadButtonText, texts.EmailText, texts.DisclaimerText, texts.PortalText },
                t => Assert.False(string.IsNullOrWhiteSpace(t)));
            Assert.True(texts.PortalText!.Length <= BrandLimits.MaxPortalTextLength);
        }
    }

    [Fact]
    public void TextsFor_EmptyStringIsDeliberate_AndDoesNotFallBack()
    {
        var brand = BrandTestData.FullBrand();
        var texts = brand.Texts.ToDictionary(p => p.Key, p => p.Value);
        texts["nl"] = texts["nl"] with { DisclaimerText = "" };

        Assert.Equal("", (brand with { Texts = texts }).TextsFor("nl").DisclaimerText);
    }

    [Fact]
    public void BuiltInTexts_DifferPerLanguage()
    {
        var en = BrandTemplate.BuiltInTexts("en");
        var nl = BrandTemplate.BuiltInTexts("nl");
        Assert.Equal("Read the message", en.ReadButtonText);
        Assert.Equal("Lees het bericht", nl.ReadButtonText);
        Assert.NotEqual(en.EmailText, nl.EmailText);
        Assert.NotEqual(en.DisclaimerText, nl.DisclaimerText);
        Assert.NotEqual(en.PortalText, nl.PortalText);
    }
}
