using System.ComponentModel.DataAnnotations;

namespace OmePortal.Web.Hosting;

/// <summary>Settings every feature shares (section <c>OmePortal</c>).</summary>
public sealed class OmePortalOptions
{
    public const string Section = "OmePortal";

    /// <summary>Root for the SQLite file, blobs, master key file, outbox. Relative paths are relative to the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Base of the links in notification mail, e.g. https://portal.example.com. Empty: the first listening address.</summary>
    public string? PublicBaseUrl { get; set; }

    public string ResolveDataPath(params string[] parts) =>
        Path.GetFullPath(Path.Combine([DataDirectory, .. parts]));
}
