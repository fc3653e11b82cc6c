using System.Globalization;
using SkiaSharp;

namespace OmePortal.Web.Previews.Viewer;

/// <summary>
/// Draws the reader's address and the time across a Do-Not-Forward page image, when it is served: the
/// stored page is the same for every reader, the picture that leaves the portal names the one who saw
/// it. Rows of diagonal text cover the whole page, so no crop of a readable part escapes it.
/// </summary>
public sealed class PageWatermark : IDisposable
{
    /// <summary>A Debian font; without it the library's default typeface is used.</summary>
    internal const string FontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    private readonly SKTypeface _typeface = (File.Exists(FontPath) ? SKTypeface.FromFile(FontPath) : null) ?? SKTypeface.Default;

    /// <summary>The text drawn: the address and the time in UTC (the same for every reader's language).</summary>
    public static string Text(string address, DateTimeOffset at) =>
        address + "  ·  " + at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Decodes <paramref name="png"/>, draws <see cref="Text"/> over it and returns the new PNG; null when it is not an image.</summary>
    public byte[]? Apply(Stream png, string address, DateTimeOffset at)
    {
        using var bitmap = SKBitmap.Decode(png);
        if (bitmap is null)
        {
            return null;
        }

        using (var canvas = new SKCanvas(bitmap))
        {
            Draw(canvas, bitmap.Width, bitmap.Height, Text(address, at));
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var encoded = image.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    private void Draw(SKCanvas canvas, int width, int height, string text)
    {
        var size = Math.Clamp(Math.Min(width, height) / 28f, 11f, 48f);
        using var font = new SKFont(_typeface, size);
        using var fill = new SKPaint { Color = new SKColor(0x20, 0x1f, 0x1e, 0x4c), IsAntialias = true };

        // A light halo under the dark text keeps it visible on dark pages too.
        using var halo = new SKPaint
        {
            Color = new SKColor(0xff, 0xff, 0xff, 0x4c),
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = Math.Max(1f, size / 8f),
        };
        var step = font.MeasureText(text) + size * 3;
        var lineGap = size * 5;
        var diagonal = MathF.Sqrt((float)width * width + (float)height * height);

        canvas.Save();
        canvas.Translate(width / 2f, height / 2f);
        canvas.RotateDegrees(-30);
        var row = 0;
        for (var y = -diagonal / 2; y < diagonal / 2 + lineGap; y += lineGap, row++)
        {
            // Every other row shifted by half a step: no column of the page escapes between two texts.
            var offset = row % 2 == 0 ? 0 : step / 2;
            for (var x = -diagonal / 2 - offset; x < diagonal / 2; x += step)
            {
                canvas.DrawText(text, x, y, SKTextAlign.Left, font, halo);
                canvas.DrawText(text, x, y, SKTextAlign.Left, font, fill);
            }
        }

        canvas.Restore();
    }

    public void Dispose()
    {
        if (_typeface != SKTypeface.Default)
        {
            _typeface.Dispose();
        }
    }
}
