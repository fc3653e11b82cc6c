using System.Net;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Testing;
using static OmePortal.Web.Tests.Replies.ReplyTestSupport;

namespace OmePortal.Web.Tests.Replies;

/// <summary>
/// Quotas on portal replies and forwards (issue 18 item 6): per session and per address per hour, new addresses
/// per day and per forward, the tenant's storage. A refused post answers 429 (507 for storage) with a page in
/// the reader's language, stores no blob, queues no mail and is audited.
/// </summary>
public abstract class ReplyQuotaTests
{
    private const string Bob = "bob@example.nl";
    private const string Carol = "carol@example.org";

    protected abstract StorageKind Storage { get; }

    // One address signs in twice in some tests: no pause between its passcodes.
    private async Task<PortalHost> StartAsync(params (string Key, string Value)[] quotas) =>
        await new PortalHost(Storage, Settings([("OmePortal:Passcodes:ResendInterval", "00:00:00"), .. quotas])).StartAsync();

    private static Task<RecipientBrowserlessClient> SignInAsync(PortalHost host, Original message, string address) =>
        RecipientBrowserlessClient.SignInFromLinkAsync(host, message.Links[address]);

    /// <summary>What a refused post must leave unchanged: messages, blobs on disk, queued mails.</summary>
    private sealed record Footprint(int Messages, int Blobs, int Mails);

    private static async Task<Footprint> FootprintAsync(PortalHost host) => new(
        await DbAsync(host, db => db.Messages.CountAsync()),
        Directory.Exists(host.BlobDirectory) ? Directory.GetFiles(host.BlobDirectory, "*", SearchOption.AllDirectories).Length : 0,
        await DbAsync(host, db => db.OutboundMails.CountAsync()));

    private static async Task AssertRefusedAsync(PortalHost host, HttpResponseMessage response, HttpStatusCode status, string quota, Footprint before)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Contains($"data-quota=\"{quota}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await FootprintAsync(host));
        Assert.True(await DbAsync(host, db => db.AuditEvents.AnyAsync(a => a.Kind == AuditEventKind.ReplyRefused && a.Detail!.Contains("quota " + quota))), $"No audit entry for {quota}.");
    }

    [Fact]
    public async Task PerSessionPerHour_ThirdReplyOfTheSession_Is429InTheReadersLanguage_AnotherSessionMaySend()
    {
        await using var host = await StartAsync(("OmePortal:Replies:MaxPerSessionPerHour", "2"), ("OmePortal:Replies:MaxPerAddressPerHour", "100"));
        var original = await IngestAsync(host, [Bob]);
        using var bob = await SignInAsync(host, original, Bob);
        for (var i = 0; i < 2; i++)
        {
            using var sent = await PostReplyAsync(bob, original.Id, "reply", $"Reply {i}");
            Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
        }

        var before = await FootprintAsync(host);
        using (var refused = await PostReplyAsync(bob, original.Id, "reply", "One too many", files: [new Upload("big.bin", new byte[50_000])]))
        {
            await AssertRefusedAsync(host, refused, HttpStatusCode.TooManyRequests, "SessionPerHour", before);
            Assert.Contains("You have sent 2 replies and forwards in the last hour", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var dutch = await PostReplyAsync(bob, original.Id, "reply", "Nog een", acceptLanguage: "nl"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, dutch.StatusCode);
            Assert.Contains("U kunt dit nu niet verzenden", await dutch.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var secondSession = await SignInAsync(host, original, Bob);
        using var again = await PostReplyAsync(secondSession, original.Id, "reply", "From a new session");
        Assert.Equal(HttpStatusCode.SeeOther, again.StatusCode);
    }

    [Fact]
    public async Task PerAddressPerHour_CountsAcrossSessions_OtherAddressesMaySend()
    {
        await using var host = await StartAsync(("OmePortal:Replies:MaxPerSessionPerHour", "100"), ("OmePortal:Replies:MaxPerAddressPerHour", "2"));
        var original = await IngestAsync(host, [Bob, Carol]);
        using (var first = await SignInAsync(host, original, Bob))
        {
            using var sent = await PostReplyAsync(first, original.Id, "reply", "From the first session");
            Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
        }

        using var second = await SignInAsync(host, original, Bob);
        using (var sent = await PostReplyAsync(second, original.Id, "reply", "From the second session"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
        }

        var before = await FootprintAsync(host);
        using (var refused = await PostReplyAsync(second, original.Id, "replyall", "A third"))
        {
            await AssertRefusedAsync(host, refused, HttpStatusCode.TooManyRequests, "AddressPerHour", before);
        }

        using var carol = await SignInAsync(host, original, Carol);
        using var carolSends = await PostReplyAsync(carol, original.Id, "reply", "Carol has her own quota");
        Assert.Equal(HttpStatusCode.SeeOther, carolSends.StatusCode);
    }

    [Fact]
    public async Task Forward_MoreNewAddressesThanAllowed_Is429WithTheForm_ConversationMembersAreFree()
    {
        await using var host = await StartAsync(("OmePortal:Replies:MaxForwardNewRecipients", "2"));
        var original = await IngestAsync(host, [Bob, Carol]);
        using var bob = await SignInAsync(host, original, Bob);

        var before = await FootprintAsync(host);
        using (var refused = await PostReplyAsync(bob, original.Id, "forward", "Have a look", [("To", "x1@example.com, x2@example.com, x3@example.com")]))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var page = await refused.Content.ReadAsStringAsync();
            Assert.Contains("A forward can go to at most 2 people who are not already in the conversation.", page, StringComparison.Ordinal);
            Assert.Contains("Have a look</textarea>", page, StringComparison.Ordinal);
        }

        Assert.Equal(before, await FootprintAsync(host));
        Assert.True(await DbAsync(host, db => db.AuditEvents.AnyAsync(a => a.Kind == AuditEventKind.ReplyRefused && a.Detail!.Contains("quota ForwardNewRecipients"))));

        // The sender and Carol took part already: only the two others are new.
        using var sent = await PostReplyAsync(bob, original.Id, "forward", "Have a look", [("To", $"{Sender}, {Carol}, x1@example.com, x2@example.com")]);
        Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
    }

    [Fact]
    public async Task NewRecipientsPerDay_CountsDistinctNewAddresses_RepliesStillGo()
    {
        await using var host = await StartAsync(("OmePortal:Replies:MaxNewRecipientsPerDay", "3"), ("OmePortal:Replies:MaxPerAddressPerHour", "100"), ("OmePortal:Replies:MaxPerSessionPerHour", "100"));
        var original = await IngestAsync(host, [Bob]);
        using var bob = await SignInAsync(host, original, Bob);

        foreach (var to in new[] { "a@example.com, b@example.com", "a@example.com, c@example.com" })
        {
            using var sent = await PostReplyAsync(bob, original.Id, "forward", "FYI", [("To", to)]);
            Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
        }

        var before = await FootprintAsync(host);
        using (var refused = await PostReplyAsync(bob, original.Id, "forward", "FYI", [("To", "d@example.com")]))
        {
            await AssertRefusedAsync(host, refused, HttpStatusCode.TooManyRequests, "NewRecipientsPerDay", before);
            Assert.Contains("Today you have written to 3 people who were not in the conversation", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Addresses already written to today cost nothing more; a reply to the conversation is never new.
        using (var again = await PostReplyAsync(bob, original.Id, "forward", "FYI", [("To", "b@example.com")]))
        {
            Assert.Equal(HttpStatusCode.SeeOther, again.StatusCode);
        }

        using var reply = await PostReplyAsync(bob, original.Id, "reply", "Thanks");
        Assert.Equal(HttpStatusCode.SeeOther, reply.StatusCode);
    }

    [Fact]
    public async Task TenantStorage_Full_Is507AndStoresNothing()
    {
        // The first reply (about 40 KB of base64 with its file) fits; a second one does not.
        await using var host = await StartAsync(("OmePortal:Replies:TenantStorageQuotaBytes", "70000"));
        var original = await IngestAsync(host, [Bob]);
        using var bob = await SignInAsync(host, original, Bob);
        var file = new Upload("scan.bin", new byte[30_000]);
        using (var sent = await PostReplyAsync(bob, original.Id, "reply", "First", files: [file]))
        {
            Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
        }

        var before = await FootprintAsync(host);
        using (var refused = await PostReplyAsync(bob, original.Id, "reply", "Second", files: [file]))
        {
            await AssertRefusedAsync(host, refused, HttpStatusCode.InsufficientStorage, "TenantStorage", before);
            Assert.Contains("has no room left for replies and forwards", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A small reply still fits in what is left.
        using var small = await PostReplyAsync(bob, original.Id, "reply", "Short");
        Assert.Equal(HttpStatusCode.SeeOther, small.StatusCode);
    }

    [Fact]
    public async Task InvalidQuotaOption_FailsAtStart()
    {
        var host = new PortalHost(Storage, Settings(("OmePortal:Replies:MaxPerSessionPerHour", "0")));
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
            Assert.Contains("MaxPerSessionPerHour", failure.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}

public sealed class ReplyQuotaSqliteTests : ReplyQuotaTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class ReplyQuotaPostgresTests : ReplyQuotaTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
