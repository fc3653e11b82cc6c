using System.ComponentModel.DataAnnotations;

namespace OmePortal.Web.Previews;

/// <summary>
/// Section <c>OmePortal:Previews</c>: how attachments are turned into page images on the server
/// (<see cref="AttachmentPreviews"/>). The converters run every document as hostile (docs/ARCHITECTURE.md §8):
/// each limit here bounds what one document can cost.
/// </summary>
public sealed class PreviewOptions
{
    public const string Section = "OmePortal:Previews";

    /// <summary>Off: every attachment answers "preview not available" and no converter is ever started.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Render previews in the background when a message arrives, rather than on the first request.</summary>
    public bool AtIntake { get; set; }

    /// <summary>Conversions running at once on this node; the rest wait, so hostile documents cannot take every core.</summary>
    [Range(1, 64)]
    public int MaxConcurrentConversions { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Pages rendered at most ("first 50 of N pages").</summary>
    [Range(1, 1000)]
    public int MaxPages { get; set; } = 50;

    /// <summary>The longest side of a page image in pixels: bounds the pixels of every page, whatever size the document claims.</summary>
    [Range(200, 6000)]
    public int MaxPageSidePixels { get; set; } = 1600;

    /// <summary>An image attachment with more pixels than this is not decoded at all (decompression bombs).</summary>
    [Range(1_000_000, 400_000_000)]
    public long MaxImageSourcePixels { get; set; } = 50_000_000;

    /// <summary>Largest attachment handed to a converter, in bytes.</summary>
    [Range(1024, 1L << 31)]
    public long MaxSourceBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Characters of text kept per page (text files: for the whole file).</summary>
    [Range(1000, 10_000_000)]
    public int MaxTextCharsPerPage { get; set; } = 200_000;

    /// <summary>Wall-clock limit of one converter run (pdfinfo, pdftoppm, pdftotext); the process group is killed after it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConverterTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Wall-clock limit of LibreOffice's conversion to PDF, which starts slowly.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan OfficeTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Address space of a poppler process (RLIMIT_AS), in MiB.</summary>
    [Range(64, 65536)]
    public int ConverterMemoryMegabytes { get; set; } = 1024;

    /// <summary>Address space of LibreOffice (RLIMIT_AS), in MiB: it maps far more than it uses.</summary>
    [Range(256, 65536)]
    public int OfficeMemoryMegabytes { get; set; } = 4096;

    /// <summary>Largest file a converter may write (RLIMIT_FSIZE), in MiB.</summary>
    [Range(1, 65536)]
    public int MaxOutputFileMegabytes { get; set; } = 256;

    /// <summary>Where each conversion gets its private directory (mode 0700, wiped afterwards). Default: a folder under the system temp directory.</summary>
    public string? WorkDirectory { get; set; }

    [Required]
    public string PdfToPpmPath { get; set; } = "/usr/bin/pdftoppm";

    [Required]
    public string PdfInfoPath { get; set; } = "/usr/bin/pdfinfo";

    [Required]
    public string PdfToTextPath { get; set; } = "/usr/bin/pdftotext";

    [Required]
    public string SofficePath { get; set; } = "/usr/bin/soffice";

    /// <summary>util-linux <c>prlimit</c>: sets CPU, memory and file limits on the converter before it starts.</summary>
    [Required]
    public string PrlimitPath { get; set; } = "/usr/bin/prlimit";

    /// <summary>util-linux <c>setsid</c>: puts the converter in a process group of its own, so a timeout kills all it started.</summary>
    [Required]
    public string SetsidPath { get; set; } = "/usr/bin/setsid";
}
