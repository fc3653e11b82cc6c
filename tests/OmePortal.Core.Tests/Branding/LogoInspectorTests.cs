using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Branding;

public sealed class LogoInspectorTests
{
    [Fact]
    public void RecognisesPngGifJpeg_WithTheirSize()
    {
        Assert.Equal(new LogoInfo(BrandLogo.Png, 120, 30), LogoInspector.Inspect(BrandTestData.Png(120, 30)));
        Assert.Equal(new LogoInfo(BrandLogo.Gif, 1, 1), LogoInspector.Inspect(BrandTestData.Gif));
        Assert.Equal(new LogoInfo(BrandLogo.Jpeg, 64, 32), LogoInspector.Inspect(BrandTestData.Jpeg));
    }

    [Fact]
    public void RefusesTextAndTruncatedImages()
    {
        Assert.Null(LogoInspector.Inspect("this is not an image"u8));
        Assert.Null(LogoInspector.Inspect("<svg xmlns='http://www.w3.org/2000/svg'/>"u8));
        Assert.Null(LogoInspector.Inspect(BrandTestData.Png(4, 4).AsSpan(0, 12)));
        Assert.Null(LogoInspector.Inspect(BrandTestData.Gif.AsSpan(0, 8)));
        Assert.Null(LogoInspector.Inspect(BrandTestData.Jpeg.AsSpan(0, 22)));
        Assert.Null(LogoInspector.Inspect([]));
    }

    [Fact]
    public void FromBytes_TakesTheTypeFromTheContent()
    {
        Assert.Equal(BrandLogo.Gif, BrandLogo.FromBytes(BrandTestData.Gif).ContentType);
        Assert.Equal(BrandLogo.Jpeg, BrandLogo.FromBytes(BrandTestData.Jpeg).ContentType);
        Assert.Throws<InvalidDataException>(() => BrandLogo.FromBytes("GIF"u8.ToArray()));
    }

    [Fact]
    public void DefaultLogo_IsASmallPngOf240x60()
    {
        var bytes = File.ReadAllBytes(Path.Combine(BrandTestData.DefaultBrandDirectory, "logo.png"));
        Assert.True(bytes.Length < 10 * 1024, $"logo.png is {bytes.Length} bytes");
        Assert.Equal(new LogoInfo(BrandLogo.Png, 240, 60), LogoInspector.Inspect(bytes));
    }
}
