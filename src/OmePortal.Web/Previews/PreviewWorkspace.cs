using System.Security.Cryptography;

namespace OmePortal.Web.Previews;

/// <summary>
/// The private directory of one conversion (mode 0700, under the preview work directory, also 0700): the only
/// place a decrypted attachment or an unencrypted page ever exists on disk. It holds that one document, the
/// converter's HOME, TMPDIR and output, and is deleted when the conversion ends, however it ends.
/// </summary>
internal sealed class PreviewWorkspace : IDisposable
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private PreviewWorkspace(string path)
    {
        Path = path;
        HomePath = Create("home");
        TempPath = Create("tmp");
        OutputPath = Create("out");
    }

    public string Path { get; }

    public string HomePath { get; }

    public string TempPath { get; }

    public string OutputPath { get; }

    /// <summary>The work directory: the configured one, or <c>omeportal-previews</c> in the system temp directory.</summary>
    public static string RootOf(PreviewOptions options) =>
        options.WorkDirectory ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "omeportal-previews");

    public static PreviewWorkspace Create(PreviewOptions options)
    {
        var root = RootOf(options);
        CreatePrivateDirectory(root);
        if (!OperatingSystem.IsWindows())
        {
            // An existing work directory may have been made with a looser mode.
            File.SetUnixFileMode(root, PrivateDirectory);
        }

        var path = System.IO.Path.Combine(root, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        CreatePrivateDirectory(path);
        return new PreviewWorkspace(path);
    }

    /// <summary>Opens a new file in the workspace readable and writable by the portal's user only.</summary>
    public FileStream CreateFile(string name)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        return new FileStream(System.IO.Path.Combine(Path, name), options);
    }

    /// <summary>Creates a directory only the portal's user can enter (mode 0700).</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, PrivateDirectory);
        }
    }

    /// <summary>Removes workspaces that a crashed process left behind (older than <paramref name="age"/>: a running conversion is never that old).</summary>
    public static void RemoveAbandoned(PreviewOptions options, TimeSpan age, ILogger logger)
    {
        var root = RootOf(options);
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var directory in new DirectoryInfo(root).EnumerateDirectories())
        {
            if (directory.LastWriteTimeUtc < DateTime.UtcNow - age)
            {
                try
                {
                    directory.Delete(recursive: true);
                }
                catch (IOException exception)
                {
                    logger.LogWarning(exception, "An abandoned preview work directory could not be removed.");
                }
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (UnauthorizedAccessException)
        {
            // A converter may have left a directory without write permission: open it up, then remove it.
            foreach (var directory in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(directory, PrivateDirectory);
                }
            }

            Directory.Delete(Path, recursive: true);
        }
    }

    private string Create(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        CreatePrivateDirectory(path);
        return path;
    }
}
