namespace OmePortal.Web.Hosting;

/// <summary>
/// Where the portal hands a secret to its operator (the first API key, the first-run setup link): a file only
/// the portal's own user can read, whose path is logged instead of the secret. Logs are shipped, kept and read
/// by more people than the data directory is, so a secret in the log outlives its use and reaches them all.
/// </summary>
public static class OwnerOnlyFile
{
    /// <summary>Writes <paramref name="secret"/> as the single line of a new owner-only (0600) file at <paramref name="path"/>.</summary>
    public static async Task WriteAsync(string path, string secret, CancellationToken cancellationToken)
    {
        // A new file every time: an existing one would keep its mode and owner when overwritten, whatever they are.
        // CreateNew does not follow a link planted at the path, and fails if one appears in between.
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(path, options);
        await using (var writer = new StreamWriter(stream, leaveOpen: true))
        {
            await writer.WriteLineAsync(secret.AsMemory(), cancellationToken);
        }

        stream.Flush(flushToDisk: true);
    }

    /// <summary>Removes a secret file that has done its job (nothing happens when there is none).</summary>
    public static void Remove(string path) => File.Delete(path);
}
