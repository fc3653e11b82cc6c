using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Branding;

public sealed class BrandSerializerTests
{
    [Fact]
    public void RoundTrip_KeepsEveryField()
    {
        var brand = BrandTestData.FullBrand() with
        {
            Texts = new Dictionary<string, BrandTexts>
            {
                ["en"] = new()
                {
                    IntroductionText = "Quotes \" and <b>tags</b> & \\ backslash, {sender}",
                    ReadButtonText = "Read",
                    EmailText = "Two\nlines",
                    DisclaimerText = "",
                },
                ["nl"] = new() { PortalText = "Één portaal – “typografisch”" },
            },
        };

        var json = BrandSerializer.ToJson(brand);
        var back = BrandSerializer.FromJson(json, brand.Logo);

        Assert.Equal(brand, back);
        Assert.Equal("", back.Texts["en"].DisclaimerText);
        Assert.Null(back.Texts["nl"].ReadButtonText);
        Assert.Equal(json, BrandSerializer.ToJson(back));
    }

    [Fact]
    public void Json_NamesTheLogoFile_ButHoldsNoLogoBytes()
    {
        var brand = BrandTestData.FullBrand() with { Logo = new BrandLogo(BrandTestData.Gif, BrandLogo.Gif) };

        var json = BrandSerializer.ToJson(brand);

        Assert.Contains("\"logo\": \"logo.gif\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(BrandTestData.Gif)[..12], json, StringComparison.Ordinal);
        Assert.Null(BrandSerializer.FromJson(json, null).Logo);
        Assert.Contains("\"expiryDays\": 30", json, StringComparison.Ordinal);
        Assert.Contains("\"otpEnabled\": false", json, StringComparison.Ordinal);
    }

    [Fact]
    public void RoundTrip_WithoutLogoOrTexts()
    {
        var brand = new BrandTemplate { Name = "Bare" };
        Assert.Equal(brand, BrandSerializer.FromJson(BrandSerializer.ToJson(brand), null));
    }

    [Fact]
    public void DefaultBrand_RoundTrips()
    {
        var brand = BrandLoader.LoadDirectory(BrandTestData.DefaultBrandDirectory);
        Assert.Equal(brand, BrandSerializer.FromJson(BrandSerializer.ToJson(brand), brand.Logo));
    }

    [Fact]
    public void Equality_SeesChangedTextsAndLogoBytes()
    {
        var brand = BrandTestData.FullBrand();
        var texts = brand.Texts.ToDictionary(p => p.Key, p => p.Value);
        texts["nl"] = texts["nl"] with { PortalText = "anders" };
        Assert.NotEqual(brand, brand with { Texts = texts });

        var bytes = (byte[])brand.Logo!.Content.Clone();
        Assert.Equal(brand, brand with { Logo = new BrandLogo(bytes, BrandLogo.Png) });
        bytes[^1] ^= 1;
        Assert.NotEqual(brand, brand with { Logo = new BrandLogo(bytes, BrandLogo.Png) });
    }

    [Fact]
    public void FromJson_MalformedJson_Throws()
    {
        Assert.Throws<InvalidDataException>(() => BrandSerializer.FromJson("[]", null));
        Assert.Throws<InvalidDataException>(() => BrandSerializer.FromJson("""{ "name": "x", "name": "y" }""", null));
        Assert.Throws<InvalidDataException>(() => BrandSerializer.FromJson("null", null));
    }
}
