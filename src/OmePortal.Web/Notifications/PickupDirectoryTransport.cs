using MimeKit;

namespace OmePortal.Web.Notifications;

/// <summary>
/// Writes each mail as an .eml file (temporary name, then rename) for a pickup service or a developer to read.
/// </summary>
/// <remarks>
/// A notification holds a recipient's link and a passcode mail a live code, both in the clear: the files are
/// the portal user's alone (0600, in a 0700 directory) and are removed once they are older than
/// <paramref name="retention"/> (<see cref="RemoveExpired"/>, run on the expiry sweeper's schedule), so the
/// directory does not become a lasting archive of working credentials. Age is by the portal's clock, which
/// stamps each file's write time.
/// </remarks>
public sealed class PickupDirectoryTransport(string directory, TimeSpan retention, TimeProvider time) : IMailTransport
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string Directory { get; } = Path.GetFullPath(directory);

    public TimeSpan Retention { get; } = retention;

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(Directory, OwnerOnlyDirectory);
        }

        var now = time.GetUtcNow();
        var name = $"{now.UtcDateTime:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid():N}.eml";
        var temp = Path.Combine(Directory, "." + name + ".tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 16 * 1024,
            Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        await using (var file = new FileStream(temp, options))
        {
            await message.WriteToAsync(file, cancellationToken);
            file.Flush(flushToDisk: true);
        }

        File.SetLastWriteTimeUtc(temp, now.UtcDateTime);
        File.Move(temp, Path.Combine(Directory, name));
    }

    /// <summary>
    /// Removes the mail files (and temporary files a crash left behind) written more than <see cref="Retention"/>
    /// ago; answers how many. Several nodes sharing the directory may run it at once: a file another removed first
    /// is simply skipped.
    /// </summary>
    public int RemoveExpired()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return 0;
        }

        var cutoff = (time.GetUtcNow() - Retention).UtcDateTime;
        var removed = 0;
        foreach (var file in new DirectoryInfo(Directory).EnumerateFiles())
        {
            var isMail = file.Name.EndsWith(".eml", StringComparison.Ordinal)
                || (file.Name.StartsWith('.') && file.Name.EndsWith(".eml.tmp", StringComparison.Ordinal));
            if (!isMail || file.LastWriteTimeUtc > cutoff)
            {
                continue;
            }

            try
            {
                file.Delete();
                removed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone already (another node) or not ours to remove: the next sweep looks again.
            }
        }

        return removed;
    }
}
