using System.Buffers.Binary;
using System.Text;
using OmePortal.Core.Branding;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace OmePortal.Web.Admin.Branding;

/// <summary>Why an uploaded logo was refused. Each has a localised message (BrandingResource "Logo_*").</summary>
public enum LogoProblem
{
    Empty,
    TooLarge,
    Svg,
    NotAnImage,
    TooManyPixels,
    Corrupt,
}

/// <summary>The outcome of <see cref="LogoProcessor.Process"/>.</summary>
public abstract record LogoOutcome
{
    private LogoOutcome()
    {
    }

    /// <summary>The re-encoded logo (no metadata left) and its size.</summary>
    public sealed record Accepted(BrandLogo Logo, int Width, int Height) : LogoOutcome;

    public sealed record Refused(LogoProblem Problem) : LogoOutcome;
}

/// <summary>
/// Turns an uploaded file into a logo that is safe to put in a mail and a page. The type is taken from
/// the content (magic bytes), never from the file name or the client's Content-Type. The pixel size is
/// read from the header and checked BEFORE anything is decoded, so a small file that claims a huge
/// canvas (a decompression bomb) is refused without allocating it; a GIF is decoded to its first frame
/// only, for the same reason. The image is then decoded and encoded again in its own format, which
/// drops every metadata chunk (EXIF, XMP, ICC, PNG text, GIF comments) and anything appended to it.
/// SVG is refused: it is a document that can carry script, and no sanitiser is in place for it.
/// </summary>
public static class LogoProcessor
{
    /// <summary>Decoding a logo this small takes milliseconds; a file that keeps the decoder busy longer is hostile.</summary>
    private static readonly TimeSpan DecodeTimeout = TimeSpan.FromSeconds(10);

    private static readonly Configuration ImageConfiguration = CreateConfiguration();

    /// <summary>Checks and re-encodes <paramref name="upload"/> (the whole file, already capped by the caller).</summary>
    public static LogoOutcome Process(ReadOnlySpan<byte> upload)
    {
        if (upload.IsEmpty)
        {
            return new LogoOutcome.Refused(LogoProblem.Empty);
        }

        if (upload.Length > BrandLimits.MaxLogoBytes)
        {
            return new LogoOutcome.Refused(LogoProblem.TooLarge);
        }

        if (LooksLikeSvg(upload))
        {
            return new LogoOutcome.Refused(LogoProblem.Svg);
        }

        var info = LogoInspector.Inspect(upload);
        if (info is null)
        {
            return new LogoOutcome.Refused(LogoProblem.NotAnImage);
        }

        if (info.Width > BrandLimits.MaxLogoPixels || info.Height > BrandLimits.MaxLogoPixels)
        {
            return new LogoOutcome.Refused(LogoProblem.TooManyPixels);
        }

        if (!IsStructurallyComplete(upload, info.ContentType))
        {
            return new LogoOutcome.Refused(LogoProblem.Corrupt);
        }

        byte[] encoded;
        try
        {
            encoded = Reencode(upload.ToArray(), info.ContentType, out var width, out var height);
            if (width != info.Width || height != info.Height)
            {
                return new LogoOutcome.Refused(LogoProblem.Corrupt);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Hostile input can make a decoder fail in any of many ways (format, memory, index, timeout
            // exceptions); each is a refused upload, never a server error.
            return new LogoOutcome.Refused(LogoProblem.Corrupt);
        }

        if (encoded.Length > BrandLimits.MaxLogoBytes)
        {
            return new LogoOutcome.Refused(LogoProblem.TooLarge);
        }

        return new LogoOutcome.Accepted(new BrandLogo(encoded, info.ContentType), info.Width, info.Height);
    }

    /// <summary>Reads at most <see cref="BrandLimits.MaxLogoBytes"/> + 1 bytes, whatever the client said the length was.</summary>
    public static async Task<byte[]> ReadCappedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[BrandLimits.MaxLogoBytes + 1];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return buffer.AsSpan(0, total).ToArray();
    }

    private static Configuration CreateConfiguration()
    {
        // Only the three formats a logo may have, so nothing else is ever parsed.
        var configuration = new Configuration(new PngConfigurationModule(), new JpegConfigurationModule(), new GifConfigurationModule())
        {
            MaxDegreeOfParallelism = 1,
        };
        return configuration;
    }

    private static byte[] Reencode(byte[] bytes, string contentType, out int width, out int height)
    {
        IImageDecoder decoder = contentType switch
        {
            BrandLogo.Png => new PngDecoder { IgnoreMetadata = true },
            BrandLogo.Jpeg => new JpegDecoder { IgnoreMetadata = true },
            BrandLogo.Gif => new GifDecoder { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First, MaxFrames = 1 },
            _ => throw new NotSupportedException(contentType),
        };

        using var timeout = new CancellationTokenSource(DecodeTimeout);
        using var input = new MemoryStream(bytes, writable: false);
        using var image = decoder.Decode<Rgba32>(ImageConfiguration, input, timeout.Token);
        width = image.Width;
        height = image.Height;

        // IgnoreMetadata already skips the profiles; clearing them again guards against a decoder that keeps one.
        image.Metadata.ExifProfile = null;
        image.Metadata.IccProfile = null;
        image.Metadata.IptcProfile = null;
        image.Metadata.XmpProfile = null;
        image.Metadata.GetPngMetadata().TextData.Clear();
        image.Metadata.GetGifMetadata().Comments.Clear();
        foreach (var frame in image.Frames)
        {
            frame.Metadata.ExifProfile = null;
            frame.Metadata.IccProfile = null;
            frame.Metadata.IptcProfile = null;
            frame.Metadata.XmpProfile = null;
        }

        IImageEncoder encoder = contentType switch
        {
            BrandLogo.Png => new PngEncoder { IgnoreMetadata = true, CompressionLevel = PngCompressionLevel.BestCompression },
            BrandLogo.Jpeg => new JpegEncoder { Quality = 90 },
            _ => new GifEncoder(),
        };

        using var output = new MemoryStream();
        image.Save(output, encoder);
        return output.ToArray();
    }

    /// <summary>
    /// SVG (and any XML or HTML) starts with a tag after optional white space and a byte order mark; it is
    /// told apart from "not an image" only to give the admin the clearer message.
    /// </summary>
    private static bool LooksLikeSvg(ReadOnlySpan<byte> data)
    {
        var head = data[..Math.Min(data.Length, 4096)];
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            head = head[3..];
        }

        var text = Encoding.UTF8.GetString(head).TrimStart();
        return text.StartsWith('<') && text.Contains("<svg", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A truncated file is refused even where a lenient decoder would fill the missing rows in grey.</summary>
    private static bool IsStructurallyComplete(ReadOnlySpan<byte> data, string contentType) => contentType switch
    {
        BrandLogo.Png => IsCompletePng(data),
        BrandLogo.Jpeg => data.Length >= 4 && data[^2] == 0xFF && data[^1] == 0xD9,
        BrandLogo.Gif => data[^1] == 0x3B,
        _ => false,
    };

    /// <summary>Every chunk is whole and its CRC matches, and the file ends with IEND.</summary>
    private static bool IsCompletePng(ReadOnlySpan<byte> data)
    {
        var offset = 8;
        while (offset + 12 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            if (length > int.MaxValue || offset + 12 + (long)length > data.Length)
            {
                return false;
            }

            var typeAndData = data.Slice(offset + 4, 4 + (int)length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 8 + (int)length)..]);
            if (PngCrc(typeAndData) != crc)
            {
                return false;
            }

            if (typeAndData[..4].SequenceEqual("IEND"u8))
            {
                return true;
            }

            offset += 12 + (int)length;
        }

        return false;
    }

    private static readonly uint[] CrcTable = CreateCrcTable();

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, as in the PNG specification's sample code).</summary>
    private static uint PngCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] CreateCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
