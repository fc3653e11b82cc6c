using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tests.Replies;

/// <summary>A message as the REST intake answered: its id and each recipient's link.</summary>
internal sealed record Original(Guid Id, IReadOnlyDictionary<string, string> Links);

/// <summary>A file to upload with the compose form.</summary>
internal sealed record Upload(string FileName, byte[] Content, string ContentType = "application/octet-stream");

internal static partial class ReplyTestSupport
{
    public const string Sender = "sender@contoso.test";

    public static Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        // Several recipients sign in per test: the per-client sign-in limiter is out of the way.
        var settings = new Dictionary<string, string?> { ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000" };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Sends a marked message from <see cref="Sender"/> through the REST intake.</summary>
    public static async Task<Original> IngestAsync(PortalHost host, string[] to, string[]? cc = null, string protection = "EncryptOnly", string? marker = null)
    {
        var message = TestMessages.WithMarkers(marker ?? "s", marker ?? "h", marker ?? "t", marker ?? "a", to);
        foreach (var address in cc ?? [])
        {
            message.Cc.Add(MailboxAddress.Parse(address));
        }

        var ingested = await host.IngestAsync(message, $"?protection={protection}");
        return new Original(ingested.Id, ingested.Links);
    }

    public static string ComposePath(Guid id, string mode) => $"/messages/{id}/reply?mode={mode}";

    /// <summary>
    /// POSTs the compose form as a browser does: the antiforgery field first, then the text fields,
    /// then the files. <paramref name="fields"/> are added as given (To, Cc, ... for forged requests).
    /// </summary>
    public static async Task<HttpResponseMessage> PostReplyAsync(
        RecipientBrowserlessClient recipient,
        Guid id,
        string mode,
        string body,
        IEnumerable<(string Name, string Value)>? fields = null,
        IEnumerable<Upload>? files = null,
        string? token = null,
        bool tokenFirst = true,
        string? acceptLanguage = null)
    {
        // Any page of the signed-in session carries a valid token (a forward of Do-Not-Forward has no form of its own).
        token ??= await recipient.AntiforgeryTokenAsync(ComposePath(id, "reply"));
        var content = new MultipartFormDataContent();
        if (tokenFirst)
        {
            content.Add(new StringContent(token), "__RequestVerificationToken");
        }

        content.Add(new StringContent(body), "Body");
        foreach (var (name, value) in fields ?? [])
        {
            content.Add(new StringContent(value), name);
        }

        foreach (var file in files ?? [])
        {
            var part = new ByteArrayContent(file.Content);
            part.Headers.ContentType = MediaTypeHeaderValue.Parse(file.ContentType);
            content.Add(part, "Attachments", file.FileName);
        }

        if (!tokenFirst)
        {
            content.Add(new StringContent(token), "__RequestVerificationToken");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, ComposePath(id, mode)) { Content = content };
        if (acceptLanguage is not null)
        {
            request.Headers.AcceptLanguage.ParseAdd(acceptLanguage);
        }

        return await recipient.Http.SendAsync(request);
    }

    public static Task<T> DbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query) => host.DbAsync(query);

    public static Task<int> CountMessagesAsync(PortalHost host) => DbAsync(host, db => db.Messages.CountAsync());

    /// <summary>The one message that answers <paramref name="originalId"/>.</summary>
    public static Task<MessageRecord> ReplyToAsync(PortalHost host, Guid originalId) =>
        DbAsync(host, db => db.Messages.AsNoTracking().Include(m => m.Recipients).SingleAsync(m => m.InReplyToMessageId == originalId));

    /// <summary>The stored MIME of a message, decrypted through the vault.</summary>
    public static async Task<MimeMessage> StoredMimeAsync(PortalHost host, Guid messageId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var vault = scope.ServiceProvider.GetRequiredService<MessageVault>();
        var record = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId);
        var opened = Assert.IsType<VaultReadResult.Opened>(await vault.OpenBlobAsync(db, record, BlobPurpose.Content, CancellationToken.None));
        await using var plaintext = opened.Plaintext;
        var copy = new MemoryStream();
        await plaintext.CopyToAsync(copy);
        copy.Position = 0;
        return await MimeMessage.LoadAsync(copy);
    }

    public static byte[] Decoded(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content!.DecodeTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Waits for the notification of <paramref name="messageId"/> to <paramref name="address"/> and returns its link.</summary>
    public static async Task<string> WaitForNotificationLinkAsync(PortalHost host, Guid messageId, string address)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            foreach (var file in Directory.Exists(host.OutboxDirectory) ? Directory.GetFiles(host.OutboxDirectory, "*.eml") : [])
            {
                using var mail = await MimeMessage.LoadAsync(file);
                if (mail.Headers["X-OmePortal-Message-Id"] == messageId.ToString("D")
                    && mail.To.Mailboxes.Any(m => m.Address == address))
                {
                    return Link().Match(mail.TextBody ?? string.Empty).Value;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No notification of {messageId} to {address}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Addresses that got a notification of <paramref name="messageId"/> (waits for <paramref name="expected"/> of them).</summary>
    public static async Task<IReadOnlyList<string>> NotifiedAsync(PortalHost host, Guid messageId, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var found = new List<string>();
            foreach (var file in Directory.Exists(host.OutboxDirectory) ? Directory.GetFiles(host.OutboxDirectory, "*.eml") : [])
            {
                using var mail = await MimeMessage.LoadAsync(file);
                if (mail.Headers["X-OmePortal-Message-Id"] == messageId.ToString("D"))
                {
                    found.AddRange(mail.To.Mailboxes.Select(m => m.Address));
                }
            }

            if (found.Count >= expected || DateTime.UtcNow > deadline)
            {
                return [.. found.Order(StringComparer.Ordinal)];
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Whether any file under <paramref name="directory"/> contains <paramref name="marker"/> in plaintext.</summary>
    public static bool AnyFileContains(string directory, string marker)
    {
        var needle = Encoding.ASCII.GetBytes(marker);
        return Directory.Exists(directory)
            && Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Any(f => ReadIfStillThere(f).AsSpan().IndexOf(needle) >= 0);
    }

    // Azurite's data directory is shared by the tests running beside this one: a file may go between listing and reading.
    private static byte[] ReadIfStillThere(string file)
    {
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    public static string Html(string value) => WebUtility.HtmlEncode(value);

    [GeneratedRegex("https?://[^\\s\"<>]+/m/[A-Za-z0-9_-]{43}")]
    private static partial Regex Link();
}
