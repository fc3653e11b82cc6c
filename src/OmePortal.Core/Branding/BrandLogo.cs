using System.Buffers.Binary;

namespace OmePortal.Core.Branding;

/// <summary>A brand's logo: the image bytes and their media type (image/png, image/jpeg or image/gif).</summary>
public sealed record BrandLogo(byte[] Content, string ContentType)
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Gif = "image/gif";

    /// <summary>The media types a logo may have.</summary>
    public static IReadOnlyList<string> AllowedContentTypes { get; } = [Png, Jpeg, Gif];

    /// <summary>
    /// Makes a logo from uploaded bytes, taking the type from the content (magic bytes), never from a
    /// file name or a client's claim.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a PNG, JPEG or GIF image.</exception>
    public static BrandLogo FromBytes(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var info = LogoInspector.Inspect(content)
            ?? throw new InvalidDataException("The logo is not a PNG, JPEG or GIF image.");
        return new BrandLogo(content, info.ContentType);
    }

    /// <summary>The file extension (with dot) that matches <see cref="ContentType"/>.</summary>
    public string FileExtension => ContentType switch
    {
        Jpeg => ".jpg",
        Gif => ".gif",
        _ => ".png",
    };

    public bool Equals(BrandLogo? other) =>
        other is not null
        && string.Equals(ContentType, other.ContentType, StringComparison.Ordinal)
        && (ReferenceEquals(Content, other.Content)
            || (Content is not null && other.Content is not null && Content.AsSpan().SequenceEqual(other.Content)));

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ContentType, StringComparer.Ordinal);
        hash.AddBytes(Content ?? []);
        return hash.ToHashCode();
    }
}

/// <summary>What the content of an image says it is.</summary>
public sealed record LogoInfo(string ContentType, int Width, int Height);

/// <summary>Recognises PNG, JPEG and GIF images by their magic bytes and reads their pixel size.</summary>
public static class LogoInspector
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// The type and size of the image in <paramref name="data"/>, or <see langword="null"/> when it is not
    /// a PNG, JPEG or GIF image (or too truncated to tell its size).
    /// </summary>
    public static LogoInfo? Inspect(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 24 && data.StartsWith(PngSignature) && data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            var width = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
            var height = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
            return width is 0 or > int.MaxValue || height is 0 or > int.MaxValue
                ? null
                : new LogoInfo(BrandLogo.Png, (int)width, (int)height);
        }

        if (data.Length >= 13 && (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)))
        {
            int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
            int height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
            return width == 0 || height == 0 ? null : new LogoInfo(BrandLogo.Gif, width, height);
        }

        if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return InspectJpeg(data);
        }

        return null;
    }

    private static LogoInfo? InspectJpeg(ReadOnlySpan<byte> data)
    {
        var i = 2;
        while (i < data.Length)
        {
            if (data[i] != 0xFF)
            {
                return null;
            }

            while (i < data.Length && data[i] == 0xFF)
            {
                i++;
            }

            if (i >= data.Length)
            {
                return null;
            }

            var marker = data[i++];
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                continue; // standalone markers carry no length
            }

            if (marker is 0xD9 or 0xDA || i + 2 > data.Length)
            {
                return null; // end of image or start of scan before any frame header
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            if (length < 2)
            {
                return null;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (i + 7 > data.Length)
                {
                    return null;
                }

                int height = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 3)..]);
                int width = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]);
                return width == 0 || height == 0 ? null : new LogoInfo(BrandLogo.Jpeg, width, height);
            }

            i += length;
        }

        return null;
    }
}
