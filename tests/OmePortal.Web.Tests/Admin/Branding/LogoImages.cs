using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace OmePortal.Web.Tests.Admin.Branding;

/// <summary>Small images made in code for the logo tests, some carrying metadata that must not survive.</summary>
public static class LogoImages
{
    public const string SecretMarker = "secret-gps-52.37N-4.89E";

    public static byte[] Png(int width = 40, int height = 20, string? textChunk = null)
    {
        using var image = Filled(width, height);
        if (textChunk is not null)
        {
            image.Metadata.GetPngMetadata().TextData.Add(new PngTextData("Comment", textChunk, string.Empty, string.Empty));
        }

        using var output = new MemoryStream();
        image.Save(output, new PngEncoder());
        return output.ToArray();
    }

    public static byte[] Jpeg(int width = 40, int height = 20, string? exifArtist = null)
    {
        using var image = Filled(width, height);
        if (exifArtist is not null)
        {
            var exif = new ExifProfile();
            exif.SetValue(ExifTag.Artist, exifArtist);
            image.Metadata.ExifProfile = exif;
        }

        using var output = new MemoryStream();
        image.Save(output, new JpegEncoder { Quality = 90 });
        return output.ToArray();
    }

    public static byte[] Gif(int width = 40, int height = 20, string? comment = null, int frames = 1)
    {
        using var image = Filled(width, height);
        for (var i = 1; i < frames; i++)
        {
            using var frame = Filled(width, height, (byte)(i * 40));
            image.Frames.AddFrame(frame.Frames.RootFrame);
        }

        if (comment is not null)
        {
            image.Metadata.GetGifMetadata().Comments.Add(comment);
        }

        using var output = new MemoryStream();
        image.Save(output, new GifEncoder());
        return output.ToArray();
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> × <paramref name="height"/> (valid CRCs) with almost no data: a bomb.</summary>
    public static byte[] PngClaiming(uint width, uint height)
    {
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        WriteChunk(output, "IHDR", ihdr);
        WriteChunk(output, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>A PNG with correct chunk CRCs but an IDAT that is not zlib data.</summary>
    public static byte[] PngWithGarbageData()
    {
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, 16);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), 16);
        ihdr[8] = 8;
        ihdr[9] = 6;
        WriteChunk(output, "IHDR", ihdr);
        WriteChunk(output, "IDAT", Encoding.ASCII.GetBytes("this is not deflate data at all, just text"));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    public static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;

    private static Image<Rgba32> Filled(int width, int height, byte shade = 0)
    {
        var image = new Image<Rgba32>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgba32((byte)(x * 5), shade, (byte)(y * 9), 255);
            }
        }

        return image;
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        output.Write(header);
        output.Write(data);
        var crcInput = header.AsSpan(4).ToArray().Concat(data).ToArray();
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc(crcInput));
        output.Write(crc);
    }

    private static uint Crc(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
