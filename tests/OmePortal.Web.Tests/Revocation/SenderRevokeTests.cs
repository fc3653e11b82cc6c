using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Tests.Reading;
using OmePortal.Web.Tests.Replies;
using static OmePortal.Web.Tests.Revocation.RevocationTestSupport;

namespace OmePortal.Web.Tests.Revocation;

/// <summary>A sender withdraws from the portal a message they sent; nobody else can.</summary>
public abstract class SenderRevokeTests : IAsyncLifetime
{
    private const string Bob = "bob@example.nl";
    private const string Carol = "carol@example.nl";

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings()).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A message from <paramref name="from"/> to <paramref name="to"/> through the REST intake.</summary>
    private async Task<Ingested> SendAsync(string from, string to)
    {
        var message = TestMessages.WithMarkers("sent", "sent-html", "sent-text", "sent-file", to);
        message.From.Clear();
        message.From.Add(MailboxAddress.Parse(from));
        return await ReadingTestSupport.IngestAsync(_host, TestMessages.ToBytes(message));
    }

    [Fact]
    public async Task Sender_ConfirmsAndRevokes_TheRecipientGets410()
    {
        var toBob = await SendAsync("sender@contoso.test", Bob);
        var bobsOwn = await SendAsync(Bob, Carol);
        using var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, toBob.Link);
        using var carol = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, bobsOwn.Link);
        Assert.Equal(HttpStatusCode.OK, (await ReadingTestSupport.GetAsync(carol.Http, $"/messages/{bobsOwn.Id}")).Status);

        var (status, confirm, response) = await ReadingTestSupport.GetAsync(bob.Http, $"/messages/{bobsOwn.Id}/revoke");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-revocation=\"confirm\"", confirm, StringComparison.Ordinal);
        Assert.Contains("Quarterly figures sent", confirm, StringComparison.Ordinal);
        Assert.Contains(Carol, confirm, StringComparison.Ordinal);
        ReadingTestSupport.AssertNoStore(response);
        Assert.Null((await MessageAsync(_host, bobsOwn.Id)).ShreddedAt);

        using var revoked = await bob.PostFormAsync($"/messages/{bobsOwn.Id}/revoke", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Contains("data-revocation=\"done\"", await revoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var (carolStatus, carolPage, _) = await ReadingTestSupport.GetAsync(carol.Http, $"/messages/{bobsOwn.Id}");
        Assert.Equal(HttpStatusCode.Gone, carolStatus);
        Assert.Contains("This message has been withdrawn", carolPage, StringComparison.Ordinal);
        Assert.Null((await MessageAsync(_host, bobsOwn.Id)).WrappedKey);
        var audit = await AuditAsync(_host, bobsOwn.Id);
        Assert.Contains(audit, e => e.Kind == AuditEventKind.MessageRevoked && e.Actor == Bob);

        // Bob's own inbox message is untouched; a second visit says it is already withdrawn.
        Assert.Equal(HttpStatusCode.OK, (await ReadingTestSupport.GetAsync(bob.Http, $"/messages/{toBob.Id}")).Status);
        Assert.Contains("data-revocation=\"withdrawn\"", (await ReadingTestSupport.GetAsync(bob.Http, $"/messages/{bobsOwn.Id}/revoke")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecipientOrStranger_CannotRevoke_AndSeesNotFound()
    {
        var original = await SendAsync("sender@contoso.test", Carol);
        var other = await SendAsync("sender@contoso.test", Bob);
        using var carol = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, original.Link);
        using var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, other.Link);

        foreach (var reader in new[] { carol, bob })
        {
            var (status, page, _) = await ReadingTestSupport.GetAsync(reader.Http, $"/messages/{original.Id}/revoke");
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Contains("data-unavailable=\"NotFound\"", page, StringComparison.Ordinal);
            Assert.DoesNotContain("Quarterly figures", page, StringComparison.Ordinal);

            // A forged POST with a valid token of the reader's own session (the 404 page holds no form) changes nothing either.
            using var post = await reader.PostFormAsync($"/messages/{original.Id}/revoke", new Dictionary<string, string>(), tokenPage: "/signout");
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }

        using var anonymous = _host.CreateHttpClient();
        using var anonymousGet = await anonymous.GetAsync($"/messages/{original.Id}/revoke");
        Assert.Equal(HttpStatusCode.Redirect, anonymousGet.StatusCode);
        Assert.StartsWith("/signin?returnUrl=", anonymousGet.Headers.Location?.OriginalString, StringComparison.Ordinal);

        Assert.Equal(0, await ReadingTestSupport.DbAsync(_host, db => db.Recipients.CountAsync(r => r.RevokedAt != null)));
        Assert.Equal(HttpStatusCode.OK, (await ReadingTestSupport.GetAsync(carol.Http, $"/messages/{original.Id}")).Status);
    }

    [Fact]
    public async Task OriginalSender_ReadingAReply_IsOfferedToRevokeTheOriginal()
    {
        var original = await ReplyTestSupport.IngestAsync(_host, [Bob]);
        using var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, original.Links[Bob]);
        var (_, bobsPage, _) = await ReadingTestSupport.GetAsync(bob.Http, $"/messages/{original.Id}");
        Assert.DoesNotContain($"/messages/{original.Id}/revoke", bobsPage, StringComparison.Ordinal);

        using (var reply = await ReplyTestSupport.PostReplyAsync(bob, original.Id, "reply", "Thanks"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, reply.StatusCode);
        }

        var replyRecord = await ReplyTestSupport.ReplyToAsync(_host, original.Id);
        var link = await ReplyTestSupport.WaitForNotificationLinkAsync(_host, replyRecord.Id, ReplyTestSupport.Sender);
        using var sender = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);

        // The sender reads Bob's reply and is offered to withdraw the original; Bob, reading the original, is offered his reply.
        var (_, senderPage, _) = await ReadingTestSupport.GetAsync(sender.Http, $"/messages/{replyRecord.Id}");
        Assert.Contains($"href=\"/messages/{original.Id}/revoke\"", senderPage, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"/messages/{replyRecord.Id}/revoke\"", senderPage, StringComparison.Ordinal);
        (_, bobsPage, _) = await ReadingTestSupport.GetAsync(bob.Http, $"/messages/{original.Id}");
        Assert.Contains($"href=\"/messages/{replyRecord.Id}/revoke\"", bobsPage, StringComparison.Ordinal);

        using var revoked = await sender.PostFormAsync($"/messages/{original.Id}/revoke", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await ReadingTestSupport.GetAsync(bob.Http, $"/messages/{original.Id}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await ReadingTestSupport.GetAsync(sender.Http, $"/messages/{replyRecord.Id}")).Status);
        Assert.DoesNotContain($"/messages/{original.Id}/revoke", (await ReadingTestSupport.GetAsync(sender.Http, $"/messages/{replyRecord.Id}")).Body, StringComparison.Ordinal);
    }
}

public sealed class SenderRevokeSqliteTests : SenderRevokeTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SenderRevokePostgresTests : SenderRevokeTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
