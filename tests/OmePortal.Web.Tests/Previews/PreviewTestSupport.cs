using System.Buffers.Binary;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Previews;

namespace OmePortal.Web.Tests.Previews;

/// <summary>Calls <see cref="AttachmentPreviews"/> in a request-like scope of a running portal, with the message row the access decision would have loaded.</summary>
internal static class PreviewTestSupport
{
    public const string Recipient = "lotte.bakker@example.nl";

    /// <summary>Settings that give the host a preview work directory of its own, so a test can look into it.</summary>
    public static Dictionary<string, string?> Settings(string workDirectory, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["OmePortal:Previews:WorkDirectory"] = workDirectory };
        foreach (var (key, value) in more)
        {
            settings["OmePortal:Previews:" + key] = value;
        }

        return settings;
    }

    public static Task<MessageRecord> RecordAsync(PortalHost host, Guid messageId) =>
        host.DbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId));

    public static async Task<PreviewOutcome> PrepareAsync(PortalHost host, Guid messageId, int index, CancellationToken cancellationToken = default)
    {
        var record = await RecordAsync(host, messageId);
        return await host.InScopeAsync(services => services.GetRequiredService<AttachmentPreviews>().PrepareAsync(record, index, cancellationToken));
    }

    public static async Task<byte[]?> PageAsync(PortalHost host, Guid messageId, int index, int page)
    {
        var record = await RecordAsync(host, messageId);
        return await host.InScopeAsync(async services =>
        {
            await using var stream = await services.GetRequiredService<AttachmentPreviews>().OpenPageAsync(record, index, page, CancellationToken.None);
            if (stream is null)
            {
                return null;
            }

            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        });
    }

    public static async Task<string?> TextAsync(PortalHost host, Guid messageId, int index, int page)
    {
        var record = await RecordAsync(host, messageId);
        return await host.InScopeAsync(services => services.GetRequiredService<AttachmentPreviews>().ReadTextAsync(record, index, page, CancellationToken.None));
    }

    public static Task<List<AttachmentPreviewRecord>> RowsAsync(PortalHost host, Guid messageId) =>
        host.DbAsync(db => db.AttachmentPreviews.AsNoTracking().Where(p => p.MessageId == messageId).ToListAsync());

    /// <summary>A PNG's width and height from its IHDR chunk (after checking the signature).</summary>
    public static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG");
        return ((int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(16)), (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>Processes whose command line mentions <paramref name="text"/> (a work directory): none may outlive a conversion.</summary>
    public static List<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while it was listed.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }
}
