using System.Runtime.InteropServices;

namespace OmePortal.Web.Vault;

/// <summary>
/// A key file must be private to the portal's user: no permission bits for group or others, and owned
/// by the user the process runs as (a file someone else owns can be changed by them at will).
/// </summary>
public static partial class KeyFilePermissions
{
    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <exception cref="MasterKeyFileException">The file is open to group or others, or owned by another user.</exception>
    public static void EnsureOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOthers) != 0)
        {
            throw new MasterKeyFileException(
                $"The key file '{path}' can be read or changed by group or others (mode {Convert.ToString((int)mode, 8)}). Make it owner-only: chmod 600 '{path}'.");
        }

        if (OperatingSystem.IsLinux() && FileOwner(path) is { } owner && owner != geteuid())
        {
            throw new MasterKeyFileException(
                $"The key file '{path}' belongs to user id {owner}, not to the user the portal runs as (id {geteuid()}). Give it to the portal's user: chown <portal user> '{path}'.");
        }
    }

    // statx has one layout on every Linux architecture (stx_uid at byte 20), unlike struct stat.
    private static uint? FileOwner(string path)
    {
        var buffer = new byte[256];
        const int AtFdCwd = -100;
        const uint StatxUid = 0x8;
        return statx(AtFdCwd, path, 0, StatxUid, buffer) == 0 ? BitConverter.ToUInt32(buffer, 20) : null;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string pathname, int flags, uint mask, [Out] byte[] statxbuf);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
