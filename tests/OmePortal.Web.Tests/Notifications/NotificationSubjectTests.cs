using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Notifications;

/// <summary>
/// The notification's subject names the sender as the original's From does (display name, not only the
/// address), read from the sealed summary; it carries the original subject only when the template says so.
/// </summary>
public abstract class NotificationSubjectTests
{
    protected abstract StorageKind Storage { get; }

    private static MimeMessage Original(string to)
    {
        var message = TestMessages.WithMarkers("x", "h", "t", "a", to);
        message.From.Clear();
        message.From.Add(new MailboxAddress("Ann Smith", "sender@contoso.test"));
        message.Subject = "Your annual statement";
        return message;
    }

    private static async Task<MimeMessage> NotificationToAsync(PortalHost host, int count, string to)
    {
        foreach (var file in await host.WaitForOutboxAsync(count))
        {
            var mail = await MimeMessage.LoadAsync(file);
            if (mail.To.Mailboxes.Any(m => m.Address == to))
            {
                return mail;
            }
        }

        throw new InvalidOperationException($"No notification to {to} in the outbox.");
    }

    [Fact]
    public async Task Subject_NamesTheSendersDisplayName_AndTheOriginalSubjectOnlyWhenTheTemplateSaysSo()
    {
        await using var host = await new PortalHost(Storage).StartAsync();

        await host.IngestAsync(Original("first@example.nl"));
        var plain = await NotificationToAsync(host, 1, "first@example.nl");
        Assert.Equal("Ann Smith has sent you a protected message", plain.Subject);
        Assert.DoesNotContain("annual statement", plain.ToString(), StringComparison.Ordinal);

        await host.DbAsync(async db =>
        {
            var template = await db.BrandTemplates.SingleAsync(t => t.IsDefault && db.Tenants.Any(x => x.Id == t.TenantId && x.Slug == "default"));
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { SubjectInNotification = true });
            template.UpdatedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync();
        });

        await host.IngestAsync(Original("second@example.nl"));
        var withSubject = await NotificationToAsync(host, 2, "second@example.nl");
        Assert.Equal("Ann Smith has sent you a protected message: Your annual statement", withSubject.Subject);
    }
}

public sealed class NotificationSubjectSqliteTests : NotificationSubjectTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class NotificationSubjectPostgresTests : NotificationSubjectTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
