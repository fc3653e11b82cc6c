using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Branding;

public sealed class BrandValidatorTests
{
    private static BrandTemplate WithEnglish(Func<BrandTexts, BrandTexts> change)
    {
        var brand = BrandTestData.FullBrand();
        var texts = brand.Texts.ToDictionary(p => p.Key, p => p.Value);
        texts["en"] = change(texts["en"]);
        return brand with { Texts = texts };
    }

    private static void AssertOnlyField(BrandTemplate brand, string field)
    {
        var errors = BrandValidator.Validate(brand);
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal(field, e.Field));
    }

    [Fact]
    public void FullBrand_IsValid()
    {
        Assert.Empty(BrandValidator.Validate(BrandTestData.FullBrand()));
    }

    [Theory]
    [InlineData("introductionText")]
    [InlineData("readButtonText")]
    [InlineData("emailText")]
    [InlineData("disclaimerText")]
    public void LongTexts_AllowAtMost1024Characters(string field)
    {
        BrandTexts Set(BrandTexts t, string value) => field switch
        {
            "introductionText" => t with { IntroductionText = value },
            "readButtonText" => t with { ReadButtonText = value },
            "emailText" => t with { EmailText = value },
            _ => t with { DisclaimerText = value },
        };

        Assert.Empty(BrandValidator.Validate(WithEnglish(t => Set(t, new string('x', 1024)))));
        AssertOnlyField(WithEnglish(t => Set(t, new string('x', 1025))), "texts.en." + field);
    }

    [Fact]
    public void PortalText_AllowsAtMost128Characters()
    {
        Assert.Empty(BrandValidator.Validate(WithEnglish(t => t with { PortalText = new string('p', 128) })));
        AssertOnlyField(WithEnglish(t => t with { PortalText = new string('p', 129) }), "texts.en.portalText");
    }

    [Fact]
    public void PortalText_MustBeOneLine()
    {
        AssertOnlyField(WithEnglish(t => t with { PortalText = "one\ntwo" }), "texts.en.portalText");
    }

    [Fact]
    public void EmailText_MayHaveLineBreaksButNoOtherControlCharacters()
    {
        Assert.Empty(BrandValidator.Validate(WithEnglish(t => t with { EmailText = "a\r\nb\nc" })));
        AssertOnlyField(WithEnglish(t => t with { EmailText = "a\u0007b" }), "texts.en.emailText");
    }

    [Fact]
    public void ReadButtonText_MustNotBeBlank()
    {
        AssertOnlyField(WithEnglish(t => t with { ReadButtonText = "  " }), "texts.en.readButtonText");
    }

    [Theory]
    [InlineData("#FFFFFF", true)]
    [InlineData("#0f6cbd", true)]
    [InlineData("#FFF", false)]
    [InlineData("FFFFFF", false)]
    [InlineData("#GGGGGG", false)]
    [InlineData("red", false)]
    [InlineData("#FFFFFF ", false)]
    [InlineData("#FFFFFF;background:url(x)", false)]
    [InlineData("", false)]
    public void BackgroundColor_MustBeRrggbb(string color, bool valid)
    {
        var brand = BrandTestData.FullBrand() with { BackgroundColor = color };
        if (valid)
        {
            Assert.Empty(BrandValidator.Validate(brand));
        }
        else
        {
            AssertOnlyField(brand, "backgroundColor");
        }
    }

    [Theory]
    [InlineData("https://contoso.example/privacy", true)]
    [InlineData("https://contoso.example:8443/p?q=1#x", true)]
    [InlineData("http://contoso.example/privacy", false)]
    [InlineData("/privacy", false)]
    [InlineData("privacy.html", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("ftp://contoso.example/privacy", false)]
    [InlineData("https://user:secret@contoso.example/privacy", false)]
    [InlineData("https://contoso.example/pri vacy", false)]
    [InlineData("", false)]
    public void PrivacyStatementUrl_MustBeAbsoluteHttps(string url, bool valid)
    {
        var brand = BrandTestData.FullBrand() with { PrivacyStatementUrl = url };
        if (valid)
        {
            Assert.Empty(BrandValidator.Validate(brand));
        }
        else
        {
            AssertOnlyField(brand, "privacyStatementUrl");
        }
    }

    [Fact]
    public void PrivacyStatementUrl_MayBeAbsent()
    {
        Assert.Empty(BrandValidator.Validate(BrandTestData.FullBrand() with { PrivacyStatementUrl = null }));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(730, true)]
    [InlineData(-1, false)]
    [InlineData(731, false)]
    [InlineData(int.MaxValue, false)]
    public void ExpiryDays_Between0And730(int days, bool valid)
    {
        var brand = BrandTestData.FullBrand() with { ExpiryDays = days };
        if (valid)
        {
            Assert.Empty(BrandValidator.Validate(brand));
        }
        else
        {
            AssertOnlyField(brand, "expiryDays");
        }
    }

    [Theory]
    [InlineData("de")]
    [InlineData("EN")]
    [InlineData("en-GB")]
    [InlineData("")]
    public void DefaultLanguage_MustBeSupported(string language)
    {
        AssertOnlyField(BrandTestData.FullBrand() with { DefaultLanguage = language }, "defaultLanguage");
    }

    [Fact]
    public void DefaultLanguage_Dutch_IsValid()
    {
        Assert.Empty(BrandValidator.Validate(BrandTestData.FullBrand() with { DefaultLanguage = "nl" }));
    }

    [Fact]
    public void Texts_InAnUnsupportedLanguage_AreRefused()
    {
        var brand = BrandTestData.FullBrand();
        var texts = brand.Texts.ToDictionary(p => p.Key, p => p.Value);
        texts["fr"] = new BrandTexts { ReadButtonText = "Lire le message" };
        AssertOnlyField(brand with { Texts = texts }, "texts.fr");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" Padded")]
    [InlineData("Tab\tName")]
    public void Name_IsRequiredAndClean(string name)
    {
        AssertOnlyField(BrandTestData.FullBrand() with { Name = name }, "name");
    }

    [Fact]
    public void Name_At64Characters_IsValid_At65_Refused()
    {
        Assert.Empty(BrandValidator.Validate(BrandTestData.FullBrand() with { Name = new string('n', 64) }));
        AssertOnlyField(BrandTestData.FullBrand() with { Name = new string('n', 65) }, "name");
    }

    [Fact]
    public void Logo_DeclaredTypeMustMatchContent()
    {
        AssertOnlyField(BrandTestData.FullBrand() with { Logo = new BrandLogo(BrandTestData.Gif, BrandLogo.Png) }, "logo");
        Assert.Empty(BrandValidator.Validate(BrandTestData.FullBrand() with { Logo = new BrandLogo(BrandTestData.Gif, BrandLogo.Gif) }));
        Assert.Empty(BrandValidator.Validate(BrandTestData.FullBrand() with { Logo = new BrandLogo(BrandTestData.Jpeg, BrandLogo.Jpeg) }));
    }

    [Fact]
    public void Logo_ThatIsNotAnImage_IsRefused()
    {
        var text = "<svg onload=alert(1)>"u8.ToArray();
        AssertOnlyField(BrandTestData.FullBrand() with { Logo = new BrandLogo(text, BrandLogo.Png) }, "logo");
        AssertOnlyField(BrandTestData.FullBrand() with { Logo = new BrandLogo([], BrandLogo.Png) }, "logo");
    }

    [Fact]
    public void Logo_OtherMediaTypes_AreRefused()
    {
        AssertOnlyField(BrandTestData.FullBrand() with { Logo = new BrandLogo(BrandTestData.Png(10, 10), "image/svg+xml") }, "logo");
    }

    [Fact]
    public void Logo_PixelAndByteLimits()
    {
        Assert.Empty(BrandValidator.Validate(BrandTestData.FullBrand() with { Logo = new BrandLogo(BrandTestData.Png(2048, 4), BrandLogo.Png) }));
        AssertOnlyField(BrandTestData.FullBrand() with { Logo = new BrandLogo(BrandTestData.Png(2049, 4), BrandLogo.Png) }, "logo");

        var big = BrandTestData.Png(4, 4).Concat(new byte[BrandLimits.MaxLogoBytes]).ToArray();
        AssertOnlyField(BrandTestData.FullBrand() with { Logo = new BrandLogo(big, BrandLogo.Png) }, "logo");
    }

    [Fact]
    public void SeveralProblems_AreAllReported()
    {
        var brand = BrandTestData.FullBrand() with { BackgroundColor = "blue", ExpiryDays = 999, DefaultLanguage = "fr" };
        var fields = BrandValidator.Validate(brand).Select(e => e.Field).Order().ToArray();
        Assert.Equal(["backgroundColor", "defaultLanguage", "expiryDays"], fields);
    }
}
