using System.Buffers.Binary;
using System.IO.Compression;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Tests.Branding;

/// <summary>Shared fixtures for the branding and notification tests.</summary>
internal static class BrandTestData
{
    /// <summary>The repository root (the directory holding OmePortal.sln), found from the test binaries.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "OmePortal.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("OmePortal.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string DefaultBrandDirectory => Path.Combine(RepoRoot, "branding", "default");

    /// <summary>A 1x1 GIF89a.</summary>
    public static byte[] Gif { get; } =
    [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ];

    /// <summary>The start of a 64x32 baseline JPEG (SOI, APP0 JFIF, SOF0, EOI): enough to recognise and size it.</summary>
    public static byte[] Jpeg { get; } =
    [
        0xFF, 0xD8,
        0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
        0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x20, 0x00, 0x40, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        0xFF, 0xD9,
    ];

    /// <summary>A valid, fully transparent RGBA PNG of the given size.</summary>
    public static byte[] Png(int width, int height)
    {
        var raw = new byte[height * ((width * 4) + 1)];
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 6;

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    public static BrandLogo PngLogo { get; } = new(Png(120, 30), BrandLogo.Png);

    /// <summary>A valid brand with texts in both languages and every optional field set.</summary>
    public static BrandTemplate FullBrand() => new()
    {
        Name = "Contoso Legal",
        DefaultLanguage = "en",
        BackgroundColor = "#0B3D2E",
        PrivacyStatementUrl = "https://contoso.example/privacy?lang=en&x=1",
        OtpEnabled = false,
        MicrosoftSignInEnabled = true,
        ExpiryDays = 30,
        Logo = PngLogo,
        Texts = new Dictionary<string, BrandTexts>
        {
            ["en"] = new()
            {
                IntroductionText = "{sender} sent you something protected.",
                ReadButtonText = "Open securely",
                EmailText = "Contoso keeps it safe.\nLine two.",
                DisclaimerText = "Contoso disclaimer EN",
                PortalText = "Contoso portal",
            },
            ["nl"] = new()
            {
                IntroductionText = "{sender} stuurde u iets beveiligds.",
                ReadButtonText = "Veilig openen",
                PortalText = "Contoso-portaal",
            },
        },
    };

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        stream.Write(buffer);
        var typeAndData = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, Crc32(typeAndData));
        stream.Write(buffer);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "omeportal-brand-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string name, string text)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, text);
        return file;
    }

    public string Write(string name, byte[] bytes)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, bytes);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
