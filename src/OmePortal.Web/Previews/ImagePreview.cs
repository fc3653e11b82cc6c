using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace OmePortal.Web.Previews;

/// <summary>
/// An image attachment is decoded and encoded again as a PNG (never served as it came: no metadata, no
/// appended bytes, no polyglot survives). The pixel size is read from the header first and an image larger
/// than <see cref="PreviewOptions.MaxImageSourcePixels"/> is refused before anything is allocated for it;
/// only the first frame is decoded; the result is scaled so its longest side is at most
/// <see cref="PreviewOptions.MaxPageSidePixels"/>. ImageSharp is managed code, so this runs in the portal,
/// under the same conversion semaphore as the child processes.
/// </summary>
internal static class ImagePreview
{
    private static readonly Configuration ImageConfiguration = new(
        new PngConfigurationModule(), new JpegConfigurationModule(), new GifConfigurationModule(),
        new BmpConfigurationModule(), new TiffConfigurationModule())
    {
        MaxDegreeOfParallelism = 1,
    };

    public static bool IsImage(ReadOnlySpan<byte> head) => Image.DetectFormat(ImageConfiguration, head) is not null;

    /// <summary>Writes the re-encoded PNG to <paramref name="output"/>; false when the image is too large or does not decode.</summary>
    public static bool TryReencode(string sourcePath, Stream output, PreviewOptions options, CancellationToken cancellationToken)
    {
        try
        {
            using var source = File.OpenRead(sourcePath);
            var info = Image.Identify(ImageConfiguration, source, out _);
            if (info is null || info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > options.MaxImageSourcePixels)
            {
                return false;
            }

            source.Position = 0;
            var format = Image.DetectFormat(ImageConfiguration, source);
            source.Position = 0;
            IImageDecoder decoder = format switch
            {
                PngFormat => new PngDecoder { IgnoreMetadata = true },
                JpegFormat => new JpegDecoder { IgnoreMetadata = true },
                GifFormat => new GifDecoder { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First, MaxFrames = 1 },
                BmpFormat => new BmpDecoder(),
                TiffFormat => new TiffDecoder { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First },
                _ => throw new InvalidDataException("Not an image format the preview decodes."),
            };

            using var image = decoder.Decode<Rgba32>(ImageConfiguration, source, cancellationToken);
            while (image.Frames.Count > 1)
            {
                image.Frames.RemoveFrame(image.Frames.Count - 1);
            }

            var longest = Math.Max(image.Width, image.Height);
            if (longest > options.MaxPageSidePixels)
            {
                var scale = (double)options.MaxPageSidePixels / longest;
                image.Mutate(x => x.Resize(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale))));
            }

            image.Metadata.ExifProfile = null;
            image.Metadata.IccProfile = null;
            image.Metadata.IptcProfile = null;
            image.Metadata.XmpProfile = null;
            image.Save(output, new PngEncoder { IgnoreMetadata = true, CompressionLevel = PngCompressionLevel.DefaultCompression });
            return true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException and not OperationCanceledException)
        {
            // A hostile image can fail a decoder in many ways (format, index, memory); each is "can't be previewed".
            return false;
        }
    }
}
