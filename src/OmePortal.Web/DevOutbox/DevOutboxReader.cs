using System.Text.RegularExpressions;
using MimeKit;

namespace OmePortal.Web.DevOutbox;

public sealed record OutboxEntry(string Name, DateTimeOffset Written, string To, string Subject);

/// <summary>Reads the pickup directory for the development-only outbox pages.</summary>
public sealed partial class DevOutboxReader(IServiceProvider services)
{
    private string Directory => NotificationExtensions.PickupDirectory(services);

    public IReadOnlyList<OutboxEntry> List(int max = 200)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        return [.. new DirectoryInfo(Directory).EnumerateFiles("*.eml")
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .Take(max)
            .Select(f =>
            {
                using var stream = f.OpenRead();
                var headers = HeaderList.Load(stream);
                return new OutboxEntry(f.Name, f.LastWriteTimeUtc, headers[HeaderId.To] ?? string.Empty, DecodeSubject(headers[HeaderId.Subject]));
            })];
    }

    /// <summary>Loads one mail by file name; null for anything that is not a plain outbox file name.</summary>
    public MimeMessage? Load(string name)
    {
        if (!SafeName().IsMatch(name))
        {
            return null;
        }

        var path = Path.Combine(Directory, name);
        return File.Exists(path) ? MimeMessage.Load(path) : null;
    }

    private static string DecodeSubject(string? raw) =>
        raw is null ? string.Empty : MimeKit.Utils.Rfc2047.DecodeText(System.Text.Encoding.UTF8.GetBytes(raw));

    [GeneratedRegex("^[A-Za-z0-9-]+\\.eml$")]
    private static partial Regex SafeName();
}
