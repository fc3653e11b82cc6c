using System.Text;
using OmePortal.Core.Branding;
using OmePortal.Web.Admin.Branding;

namespace OmePortal.Web.Tests.Admin.Branding;

public sealed class LogoProcessorTests
{
    [Fact]
    public void Process_Png_AcceptedAsPngWithItsSize()
    {
        var accepted = Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(LogoImages.Png(40, 20)));
        Assert.Equal(BrandLogo.Png, accepted.Logo.ContentType);
        Assert.Equal((40, 20), (accepted.Width, accepted.Height));
        Assert.Equal(BrandLogo.Png, LogoInspector.Inspect(accepted.Logo.Content)?.ContentType);
    }

    [Fact]
    public void Process_JpegAndGif_KeepTheirFormat()
    {
        Assert.Equal(BrandLogo.Jpeg, Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(LogoImages.Jpeg())).Logo.ContentType);
        Assert.Equal(BrandLogo.Gif, Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(LogoImages.Gif())).Logo.ContentType);
    }

    [Fact]
    public void Process_PngTextChunk_GoneAfterReencoding()
    {
        var upload = LogoImages.Png(textChunk: LogoImages.SecretMarker);
        Assert.True(LogoImages.Contains(upload, LogoImages.SecretMarker));

        var accepted = Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(upload));
        Assert.False(LogoImages.Contains(accepted.Logo.Content, LogoImages.SecretMarker));
        Assert.False(LogoImages.Contains(accepted.Logo.Content, "tEXt"));
    }

    [Fact]
    public void Process_JpegExif_GoneAfterReencoding()
    {
        var upload = LogoImages.Jpeg(exifArtist: LogoImages.SecretMarker);
        Assert.True(LogoImages.Contains(upload, LogoImages.SecretMarker));

        var accepted = Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(upload));
        Assert.False(LogoImages.Contains(accepted.Logo.Content, LogoImages.SecretMarker));
        Assert.False(LogoImages.Contains(accepted.Logo.Content, "Exif"));
    }

    [Fact]
    public void Process_GifComment_GoneAndOnlyTheFirstFrameKept()
    {
        var upload = LogoImages.Gif(comment: LogoImages.SecretMarker, frames: 3);
        Assert.True(LogoImages.Contains(upload, LogoImages.SecretMarker));

        var accepted = Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(upload));
        Assert.False(LogoImages.Contains(accepted.Logo.Content, LogoImages.SecretMarker));
        using var image = SixLabors.ImageSharp.Image.Load(accepted.Logo.Content);
        Assert.Equal(1, image.Frames.Count);
    }

    [Fact]
    public void Process_DataAppendedAfterTheImage_Dropped()
    {
        var upload = LogoImages.Png().Concat(Encoding.ASCII.GetBytes("<script>alert(1)</script>")).ToArray();
        var accepted = Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(upload));
        Assert.False(LogoImages.Contains(accepted.Logo.Content, "<script>"));
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")]
    [InlineData("alert(document.cookie);")]
    [InlineData("GIF8")]
    [InlineData("%PDF-1.7\n")]
    public void Process_NotAnImage_RefusedWhateverItIsCalled(string content) =>
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.NotAnImage), LogoProcessor.Process(Encoding.UTF8.GetBytes(content)));

    [Theory]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")]
    [InlineData("\uFEFF  <?xml version=\"1.0\"?>\n<!DOCTYPE svg><svg onload=\"alert(1)\" xmlns=\"http://www.w3.org/2000/svg\"/>")]
    public void Process_SvgWithScript_RefusedAsSvg(string svg) =>
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.Svg), LogoProcessor.Process(Encoding.UTF8.GetBytes(svg)));

    [Fact]
    public void Process_Empty_Refused() =>
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.Empty), LogoProcessor.Process([]));

    [Fact]
    public void Process_MoreBytesThanTheLimit_RefusedTooLarge()
    {
        var upload = LogoImages.Png().Concat(new byte[BrandLimits.MaxLogoBytes]).ToArray();
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.TooLarge), LogoProcessor.Process(upload));
    }

    [Fact]
    public void Process_WiderThanTheLimit_RefusedTooManyPixels() =>
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.TooManyPixels), LogoProcessor.Process(LogoImages.Png(BrandLimits.MaxLogoPixels + 1, 1)));

    [Fact]
    public void Process_AtTheLimit_Accepted() =>
        Assert.IsType<LogoOutcome.Accepted>(LogoProcessor.Process(LogoImages.Png(BrandLimits.MaxLogoPixels, 2)));

    [Fact]
    public void Process_HeaderClaimingAHugeCanvas_RefusedBeforeDecoding()
    {
        // 100000 x 100000 RGBA would be 40 GB decoded; the header check refuses it at once.
        var bomb = LogoImages.PngClaiming(100_000, 100_000);
        Assert.True(bomb.Length < 100);
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.TooManyPixels), LogoProcessor.Process(bomb));
    }

    [Fact]
    public void Process_TruncatedPng_RefusedCorrupt()
    {
        var png = LogoImages.Png();
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.Corrupt), LogoProcessor.Process(png.AsSpan(0, png.Length - 20)));
    }

    [Fact]
    public void Process_TruncatedJpeg_RefusedCorrupt()
    {
        var jpeg = LogoImages.Jpeg(200, 100);
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.Corrupt), LogoProcessor.Process(jpeg.AsSpan(0, jpeg.Length / 2)));
    }

    [Fact]
    public void Process_TruncatedGif_RefusedCorrupt()
    {
        var gif = LogoImages.Gif();
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.Corrupt), LogoProcessor.Process(gif.AsSpan(0, gif.Length - 10)));
    }

    [Fact]
    public void Process_PngWithFlippedByte_RefusedCorrupt()
    {
        var png = LogoImages.Png();
        png[png.Length / 2] ^= 0xFF;
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.Corrupt), LogoProcessor.Process(png));
    }

    [Fact]
    public void Process_PngWhoseDataIsNotDeflate_RefusedCorrupt() =>
        Assert.Equal(new LogoOutcome.Refused(LogoProblem.Corrupt), LogoProcessor.Process(LogoImages.PngWithGarbageData()));

    [Fact]
    public async Task ReadCapped_LongStream_StopsOneByteAfterTheLimit()
    {
        using var stream = new MemoryStream(new byte[BrandLimits.MaxLogoBytes * 4]);
        var bytes = await LogoProcessor.ReadCappedAsync(stream, CancellationToken.None);
        Assert.Equal(BrandLimits.MaxLogoBytes + 1, bytes.Length);
    }
}
