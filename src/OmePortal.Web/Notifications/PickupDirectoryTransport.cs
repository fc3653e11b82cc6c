using MimeKit;

namespace OmePortal.Web.Notifications;

/// <summary>Writes each mail as an .eml file (temporary name, then rename) for a pickup service or a developer to read.</summary>
public sealed class PickupDirectoryTransport(string directory) : IMailTransport
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var name = $"{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid():N}.eml";
        var temp = Path.Combine(Directory, "." + name + ".tmp");
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16 * 1024, FileOptions.Asynchronous))
        {
            await message.WriteToAsync(file, cancellationToken);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, Path.Combine(Directory, name));
    }
}
