using System.Globalization;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Branding;

public sealed class BrandColorsTests
{
    [Theory]
    [InlineData("#FFFFFF", "#000000", 21.0)]
    [InlineData("#000000", "#FFFFFF", 21.0)]
    [InlineData("#777777", "#777777", 1.0)]
    [InlineData("#767676", "#FFFFFF", 4.54)] // the lightest grey that passes AA on white
    [InlineData("#0000FF", "#FFFFFF", 8.59)]
    public void ContrastRatio_FollowsWcag(string a, string b, double expected) =>
        Assert.Equal(expected, BrandColors.ContrastRatio(a, b), 2);

    [Theory]
    [InlineData("#FFFFFF", 1.0)]
    [InlineData("#000000", 0.0)]
    [InlineData("#ff0000", 0.2126)]
    public void RelativeLuminance_LinearisesSrgb(string colour, double expected) =>
        Assert.Equal(expected, BrandColors.RelativeLuminance(colour), 4);

    [Theory]
    [InlineData("red")]
    [InlineData("#FFF")]
    [InlineData("#GGGGGG")]
    [InlineData("")]
    public void ContrastRatio_OfSomethingThatIsNoColour_Throws(string notAColour) =>
        Assert.Throws<ArgumentException>(() => BrandColors.ContrastRatio(notAColour, "#FFFFFF"));

    [Theory]
    [InlineData("#0B1F3A", "#FFFFFF")] // navy: light text
    [InlineData("#FFFFFF", "#111827")]
    [InlineData("#FFD400", "#111827")]
    public void ReadableTextOn_PicksLightOrDark(string background, string expected) =>
        Assert.Equal(expected, BrandColors.ReadableTextOn(background));

    [Theory]
    [InlineData("#0B1F3A", "#0B1F3A")] // dark enough: the brand colour itself
    [InlineData("#0b1f3a", "#0B1F3A")]
    [InlineData("#FFFFFF", BrandColors.PortalAccent)] // white: the portal's own accent
    [InlineData("#F3F2F1", BrandColors.PortalAccent)] // light grey
    [InlineData("#FFD400", BrandColors.PortalAccent)] // yellow would darken to olive
    [InlineData("#808080", BrandColors.PortalAccent)] // mid grey: no hue to keep
    public void AccentOnWhite_UsesTheBrandOrThePortalAccent(string brand, string expected) =>
        Assert.Equal(expected, BrandColors.AccentOnWhite(brand));

    [Theory]
    [InlineData("#2B88D8")] // mid blue, 3.7:1 on white
    [InlineData("#E8590C")] // orange, 3.4:1
    [InlineData("#2F9E44")] // green, 3.3:1
    public void AccentOnWhite_DarkensAMidToneBrandJustEnough(string brand)
    {
        var accent = BrandColors.AccentOnWhite(brand);

        Assert.NotEqual(brand, accent);
        Assert.True(BrandColors.ContrastRatio(accent, "#FFFFFF") >= 4.5, accent);
        Assert.True(BrandColors.ContrastRatio(accent, "#FFFFFF") < 5.2, $"{accent} is darker than it needs to be");

        // The same hue: each channel scaled by about the same factor.
        var (r, g, b) = (Channel(brand, 1), Channel(brand, 3), Channel(brand, 5));
        var strongest = new[] { r, g, b }.Max();
        var factor = (double)new[] { Channel(accent, 1), Channel(accent, 3), Channel(accent, 5) }.Max() / strongest;
        Assert.InRange(Channel(accent, 1), (r * factor) - 3, (r * factor) + 3);
        Assert.InRange(Channel(accent, 3), (g * factor) - 3, (g * factor) + 3);
        Assert.InRange(Channel(accent, 5), (b * factor) - 3, (b * factor) + 3);
    }

    [Fact]
    public void PaletteFor_EveryColour_KeepsEveryPairReadable()
    {
        // Every colour on a 4-bit-per-channel grid, the worst mid greys and pastels included.
        for (var r = 0; r < 256; r += 17)
        {
            for (var g = 0; g < 256; g += 17)
            {
                for (var b = 0; b < 256; b += 17)
                {
                    var brand = string.Create(CultureInfo.InvariantCulture, $"#{r:X2}{g:X2}{b:X2}");
                    var palette = BrandColors.PaletteFor(brand);
                    Assert.Equal(brand, palette.Background);
                    Assert.True(BrandColors.ContrastRatio(palette.TextOnBackground, palette.Background) >= 4.5, $"text on {brand}");
                    Assert.True(BrandColors.ContrastRatio(palette.Accent, "#FFFFFF") >= 4.5, $"accent of {brand}");
                    Assert.True(BrandColors.ContrastRatio(palette.TextOnAccent, palette.Accent) >= 4.5, $"button of {brand}");
                }
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("navy")]
    [InlineData("#12345")]
    public void PaletteFor_SomethingThatIsNoColour_IsTheWhitePalette(string? value)
    {
        var palette = BrandColors.PaletteFor(value);

        Assert.Equal(new PortalPalette("#FFFFFF", BrandColors.DarkText, BrandColors.PortalAccent, BrandColors.LightText), palette);
    }

    [Fact]
    public void PaletteFor_DarkNavy_DrawsLightTextOnTheBackgroundAndUsesTheBrandAsAccent()
    {
        var palette = BrandColors.PaletteFor("#0b1f3a");

        Assert.Equal(new PortalPalette("#0B1F3A", BrandColors.LightText, "#0B1F3A", BrandColors.LightText), palette);
    }

    private static int Channel(string colour, int at) => int.Parse(colour.AsSpan(at, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
