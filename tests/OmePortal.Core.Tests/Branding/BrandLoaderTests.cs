using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Branding;

public sealed class BrandLoaderTests
{
    private const string MinimalJson = """
        {
          "name": "Test",
          "logo": "logo.png",
          "texts": { "en": { "readButtonText": "Read" } }
        }
        """;

    [Fact]
    public void DefaultBrand_LoadsAndValidates()
    {
        var brand = BrandLoader.LoadDirectory(BrandTestData.DefaultBrandDirectory);

        Assert.Empty(BrandValidator.Validate(brand));
        Assert.Equal("Default", brand.Name);
        Assert.Equal("en", brand.DefaultLanguage);
        Assert.Matches("^#[0-9A-F]{6}$", brand.BackgroundColor);
        Assert.Null(brand.PrivacyStatementUrl);
        Assert.True(brand.OtpEnabled);
        Assert.True(brand.MicrosoftSignInEnabled);
        Assert.Equal(0, brand.ExpiryDays);
        Assert.NotNull(brand.Logo);
        Assert.Equal(BrandLogo.Png, brand.Logo.ContentType);
        Assert.Equal(File.ReadAllBytes(Path.Combine(BrandTestData.DefaultBrandDirectory, "logo.png")), brand.Logo.Content);

        Assert.Equal(["en", "nl"], brand.Texts.Keys.Order());
        foreach (var texts in brand.Texts.Values)
        {
            Assert.False(string.IsNullOrWhiteSpace(texts.IntroductionText));
            Assert.Contains(BrandTexts.SenderPlaceholder, texts.IntroductionText);
            Assert.False(string.IsNullOrWhiteSpace(texts.EmailText));
            Assert.False(string.IsNullOrWhiteSpace(texts.DisclaimerText));
            Assert.False(string.IsNullOrWhiteSpace(texts.PortalText));
        }

        Assert.Equal("Read the message", brand.Texts["en"].ReadButtonText);
        Assert.Equal("Lees het bericht", brand.Texts["nl"].ReadButtonText);
    }

    [Fact]
    public void GifNamedPng_IsDetectedAsGif()
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", MinimalJson);
        dir.Write("logo.png", BrandTestData.Gif);

        var brand = BrandLoader.LoadDirectory(dir.Path);

        Assert.NotNull(brand.Logo);
        Assert.Equal(BrandLogo.Gif, brand.Logo.ContentType);
        Assert.Equal(BrandTestData.Gif, brand.Logo.Content);
    }

    [Fact]
    public void JpegNamedGif_IsDetectedAsJpeg()
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", MinimalJson.Replace("logo.png", "logo.gif", StringComparison.Ordinal));
        dir.Write("logo.gif", BrandTestData.Jpeg);

        Assert.Equal(BrandLogo.Jpeg, BrandLoader.LoadDirectory(dir.Path).Logo?.ContentType);
    }

    [Fact]
    public void TextFileNamedPng_IsRefused()
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", MinimalJson);
        dir.Write("logo.png", "I am not a picture\n");

        var e = Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));

        Assert.Equal("logo", BrandErrors.FieldOf(e));
        Assert.Contains("logo", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a PNG, JPEG or GIF", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../logo.png")]
    [InlineData("sub/logo.png")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public void LogoOutsideTheDirectory_IsRefused(string logo)
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", MinimalJson.Replace("\"logo.png\"", $"\"{logo}\"", StringComparison.Ordinal));
        dir.Write("logo.png", BrandTestData.Gif);

        var e = Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));
        Assert.Equal("logo", BrandErrors.FieldOf(e));
    }

    [Fact]
    public void MissingLogoFile_IsRefused()
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", MinimalJson);

        var e = Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));
        Assert.Equal("logo", BrandErrors.FieldOf(e));
    }

    [Fact]
    public void NoLogo_LoadsWithoutLogo()
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", """{ "name": "Plain" }""");

        var brand = BrandLoader.LoadDirectory(dir.Path);

        Assert.Null(brand.Logo);
        Assert.Equal("en", brand.DefaultLanguage);
        Assert.Equal("#FFFFFF", brand.BackgroundColor);
        Assert.True(brand.OtpEnabled);
        Assert.Empty(brand.Texts);
    }

    [Theory]
    [InlineData("\"expiryDays\": 731", "expiryDays")]
    [InlineData("\"backgroundColor\": \"#12345\"", "backgroundColor")]
    [InlineData("\"privacyStatementUrl\": \"http://contoso.example/privacy\"", "privacyStatementUrl")]
    [InlineData("\"defaultLanguage\": \"de\"", "defaultLanguage")]
    [InlineData("\"texts\": { \"nl\": { \"portalText\": \"" + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" + "\" } }", "texts.nl.portalText")]
    public void InvalidBrandJson_NamesTheField(string member, string field)
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", "{ \"name\": \"Bad\", " + member + " }");

        var e = Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));

        Assert.Equal(field, BrandErrors.FieldOf(e));
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(dir.Path, "brand.json"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOrMistypedFields_AreRefused()
    {
        using var dir = new TempDirectory();
        dir.Write("brand.json", """{ "name": "Typo", "backgroundColour": "#FFFFFF" }""");
        var unknown = Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));
        Assert.Contains("backgroundColour", unknown.Message, StringComparison.Ordinal);

        dir.Write("brand.json", """{ "name": "Typo", "expiryDays": "ten" }""");
        var mistyped = Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));
        Assert.Equal("expiryDays", BrandErrors.FieldOf(mistyped));

        dir.Write("brand.json", """{ "expiryDays": 1 }""");
        var nameless = Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));
        Assert.Equal("name", BrandErrors.FieldOf(nameless));

        dir.Write("brand.json", "{ not json");
        Assert.Throws<InvalidDataException>(() => BrandLoader.LoadDirectory(dir.Path));
    }

    [Fact]
    public void MissingDirectoryOrBrandJson_SaySo()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => BrandLoader.LoadDirectory(dir.Path));
        Assert.Throws<DirectoryNotFoundException>(() => BrandLoader.LoadDirectory(Path.Combine(dir.Path, "nope")));
    }
}
