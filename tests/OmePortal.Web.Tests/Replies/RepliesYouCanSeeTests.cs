using System.Net;
using Microsoft.EntityFrameworkCore;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using static OmePortal.Web.Tests.Replies.ReplyTestSupport;

namespace OmePortal.Web.Tests.Replies;

/// <summary>
/// Replies you can see (issue 20, item 4): the confirmation after sending, the reader's own replies and forwards in the
/// conversation and in the inbox's Sent view, the sent item page, and the original sender reaching their original
/// from a reply. Each is shown to the one who sent the message and to nobody else.
/// </summary>
public abstract class RepliesYouCanSeeTests : IAsyncLifetime
{
    private const string Bob = "bob@example.nl";
    private const string Carol = "carol@example.nl";
    private const string Stranger = "stranger@example.org";

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings()).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<RecipientBrowserlessClient> SignInAsync(Original message, string address) =>
        RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[address]);

    /// <summary>A signed-in reader with a message of their own, and nothing to do with the conversation under test.</summary>
    private async Task<RecipientBrowserlessClient> StrangerAsync() => await SignInAsync(await IngestAsync(_host, [Stranger], marker: "elsewhere"), Stranger);

    /// <summary>Bob replies to <paramref name="original"/>; returns the reply's id and where the form sent him.</summary>
    private async Task<(Guid ReplyId, string Location)> ReplyAsync(RecipientBrowserlessClient bob, Original original, string mode = "reply", string? to = null)
    {
        using var response = await PostReplyAsync(bob, original.Id, mode, "Thanks for the documents.", to is null ? null : [("To", to)]);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var replyId = await DbAsync(_host, db => db.Messages.Where(m => m.InReplyToMessageId == original.Id).OrderByDescending(m => m.ReceivedAt).Select(m => m.Id).FirstAsync());
        return (replyId, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Reply_ConfirmsWhomItWasSentTo_AndARefreshSendsNothingAgain()
    {
        var original = await IngestAsync(_host, [Bob, Carol]);
        using var bob = await SignInAsync(original, Bob);
        var (replyId, location) = await ReplyAsync(bob, original, "replyall");
        Assert.Equal($"/messages/{original.Id}?sent={replyId}", location);
        var messages = await CountMessagesAsync(_host);

        for (var visit = 0; visit < 2; visit++)
        {
            // The page after sending is a GET: loading it again (a refresh) shows the confirmation again and stores nothing.
            var page = await bob.GetPageAsync(location);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            var confirmation = page.Find($"[role='status'][data-sent-confirmation='{replyId}']");
            Assert.NotNull(confirmation);
            Assert.Contains("Your reply was sent to", confirmation.TextContent, StringComparison.Ordinal);
            Assert.Contains(Sender, confirmation.TextContent, StringComparison.Ordinal);
            Assert.Contains(Carol, confirmation.TextContent, StringComparison.Ordinal);
            Assert.Equal(messages, await CountMessagesAsync(_host));
        }

        var dutch = new HttpRequestMessage(HttpMethod.Get, location);
        dutch.Headers.AcceptLanguage.ParseAdd("nl-NL");
        using var dutchResponse = await bob.Http.SendAsync(dutch);
        Assert.Contains("Uw antwoord is verstuurd naar", (await HtmlPage.FromAsync(dutchResponse)).Text("[data-sent-confirmation]"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forward_ConfirmsItsNewRecipients()
    {
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        var (forwardId, location) = await ReplyAsync(bob, original, "forward", to: "dora@example.com");
        Assert.Equal($"/messages/{original.Id}?forwarded={forwardId}", location);
        var confirmation = (await bob.GetPageAsync(location)).Text($"[data-sent-confirmation='{forwardId}']");
        Assert.Contains("Your forward was sent to dora@example.com", confirmation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Confirmation_OfSomeoneElsesReply_ShowsNothing()
    {
        var original = await IngestAsync(_host, [Bob, Carol]);
        using var bob = await SignInAsync(original, Bob);
        var (replyId, _) = await ReplyAsync(bob, original, "replyall");

        // Carol may read the original, and received the reply, but did not send it: she is told nothing about it here.
        using var carol = await SignInAsync(original, Carol);
        var page = await carol.GetPageAsync($"/messages/{original.Id}?sent={replyId}");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Null(page.Find("[data-sent-confirmation]"));

        // A stranger on a message of their own learns nothing about the reply's recipients.
        var own = await IngestAsync(_host, [Stranger], marker: "elsewhere");
        using var stranger = await SignInAsync(own, Stranger);
        var strangerPage = await stranger.GetPageAsync($"/messages/{own.Id}?sent={replyId}");
        Assert.Null(strangerPage.Find("[data-sent-confirmation]"));
        Assert.DoesNotContain(Carol, strangerPage.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(Bob, strangerPage.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SentView_ListsTheReadersPortalRepliesAndForwards_AndNobodyElses()
    {
        var original = await IngestAsync(_host, [Bob, Carol]);
        using var bob = await SignInAsync(original, Bob);
        var (replyId, _) = await ReplyAsync(bob, original);
        var (forwardId, _) = await ReplyAsync(bob, original, "forward", to: "dora@example.com");

        var sent = await bob.GetPageAsync("/inbox?view=sent");
        Assert.Equal(HttpStatusCode.OK, sent.Status);
        var items = sent.FindAll("[data-sent-item]").Select(e => e.GetAttribute("data-sent-item")).ToList();
        Assert.Equal([forwardId.ToString(), replyId.ToString()], items);
        Assert.Equal($"/sent/{replyId}", sent.Attribute($"[data-sent-item='{replyId}'] a", "href"));
        Assert.Contains(Sender, sent.Text($"[data-sent-item='{replyId}']"), StringComparison.Ordinal);
        Assert.Equal("page", sent.Attribute("nav.inbox-views a[href='/inbox?view=sent']", "aria-current"));
        // The received view is the inbox as before, with the Sent tab beside it.
        var received = await bob.GetPageAsync("/inbox");
        Assert.Equal("page", received.Attribute("nav.inbox-views a[href='/inbox']", "aria-current"));
        Assert.Empty(received.FindAll("[data-sent-item]"));

        // Carol reads the original too, but wrote nothing: her Sent view is empty.
        using var carol = await SignInAsync(original, Carol);
        var carols = await carol.GetPageAsync("/inbox?view=sent");
        Assert.Empty(carols.FindAll("[data-sent-item]"));
        Assert.DoesNotContain(replyId.ToString(), carols.Html, StringComparison.Ordinal);

        // The original's sender receives the reply, but the original came in through the API, not written in the
        // portal: it is not listed (a shared sender address would otherwise list every message sent in its name).
        var link = await WaitForNotificationLinkAsync(_host, replyId, Sender);
        using var sender = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        var sendersView = await sender.GetPageAsync("/inbox?view=sent");
        Assert.Empty(sendersView.FindAll("[data-sent-item]"));

        using var stranger = await StrangerAsync();
        var strangers = await stranger.GetPageAsync("/inbox?view=sent");
        Assert.Equal(HttpStatusCode.OK, strangers.Status);
        Assert.Empty(strangers.FindAll("[data-sent-item]"));

        using var anonymous = _host.CreateHttpClient();
        using var anonymousGet = await anonymous.GetAsync("/inbox?view=sent");
        Assert.Equal(HttpStatusCode.Redirect, anonymousGet.StatusCode);
        Assert.Contains("/signin", anonymousGet.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SentItemPage_IsOnlyItsSenders_AndLinksTheOriginalTheyMayRead()
    {
        var original = await IngestAsync(_host, [Bob, Carol]);
        using var bob = await SignInAsync(original, Bob);
        var (replyId, _) = await ReplyAsync(bob, original);

        var page = await bob.GetPageAsync($"/sent/{replyId}");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("Re: Quarterly figures s", page.Heading);
        Assert.Contains(Sender, page.Text("dl.message-headers"), StringComparison.Ordinal);
        Assert.Equal($"/messages/{original.Id}", page.Attribute($"[data-answered='{original.Id}']", "href"));
        Assert.Equal($"/messages/{replyId}/revoke", page.Attribute("details.item-menu a", "href"));

        // The original's sender received the reply and Carol read the original; neither sent the reply. A stranger neither.
        var link = await WaitForNotificationLinkAsync(_host, replyId, Sender);
        using var sender = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);
        using var carol = await SignInAsync(original, Carol);
        using var stranger = await StrangerAsync();
        foreach (var other in new[] { sender, carol, stranger })
        {
            var refused = await other.GetPageAsync($"/sent/{replyId}");
            Assert.Equal(HttpStatusCode.NotFound, refused.Status);
            Assert.NotNull(refused.Find("[data-unavailable='NotFound']"));
            Assert.DoesNotContain("Quarterly figures", refused.Html, StringComparison.Ordinal);
        }

        // An unknown id answers the same.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetPageAsync($"/sent/{Guid.NewGuid()}")).Status);

        // Once Bob's access to the original is withdrawn, his sent item no longer links it.
        await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == original.Id && r.Address == Bob)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));
        var after = await bob.GetPageAsync($"/sent/{replyId}");
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Null(after.Find("[data-answered]"));
    }

    [Fact]
    public async Task Conversation_ListsTheReadersReply_WithWithdrawInAMenu()
    {
        var original = await IngestAsync(_host, [Bob, Carol]);
        using var bob = await SignInAsync(original, Bob);
        var (replyId, _) = await ReplyAsync(bob, original);

        var page = new MessagePage(await bob.GetPageAsync($"/messages/{original.Id}"));
        var items = page.ThreadItems;
        Assert.Equal([original.Id.ToString(), replyId.ToString()], items.Select(i => i.GetAttribute("data-thread-item")));
        var mine = items[1];
        Assert.Equal("true", mine.GetAttribute("data-sent-by-you"));
        Assert.Equal($"/sent/{replyId}", mine.QuerySelector("a")?.GetAttribute("href"));
        Assert.Contains(Sender, mine.TextContent, StringComparison.Ordinal);
        // Withdrawing sits in the item's menu, not between the message's actions and its body.
        Assert.Equal($"/messages/{replyId}/revoke", mine.QuerySelector("details.item-menu a")?.GetAttribute("href"));
        Assert.Null(page.Find("article.message a[href$='/revoke']"));

        // Carol reads the same original: the conversation she sees holds nothing of Bob's reply.
        using var carol = await SignInAsync(original, Carol);
        var carols = await carol.GetPageAsync($"/messages/{original.Id}");
        Assert.Empty(new MessagePage(carols).ThreadItems);
        Assert.DoesNotContain(replyId.ToString(), carols.Html, StringComparison.Ordinal);

        // Withdrawn, the reply stays in Bob's conversation, marked so, with nothing left to withdraw.
        using (var revoke = await bob.PostFormAsync($"/messages/{replyId}/revoke", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        var withdrawn = new MessagePage(await bob.GetPageAsync($"/messages/{original.Id}")).ThreadItems.Single(i => i.GetAttribute("data-thread-item") == replyId.ToString());
        Assert.Null(withdrawn.QuerySelector("details.item-menu"));
        Assert.Null(withdrawn.QuerySelector("a"));
        Assert.NotNull(withdrawn.QuerySelector(".badge-closed"));
    }

    [Fact]
    public async Task OriginalSender_ReadingTheReply_ReachesTheirOriginal_AStrangerNothing()
    {
        // The sender is not a recipient of the original (the usual case): from the reply they reach its sent item page.
        var original = await IngestAsync(_host, [Bob]);
        using var bob = await SignInAsync(original, Bob);
        var (replyId, _) = await ReplyAsync(bob, original);
        var link = await WaitForNotificationLinkAsync(_host, replyId, Sender);
        using var sender = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);

        var onReply = new MessagePage(await sender.GetPageAsync($"/messages/{replyId}"));
        var theirs = onReply.ThreadItems.Single(i => i.GetAttribute("data-thread-item") == original.Id.ToString());
        Assert.Equal("true", theirs.GetAttribute("data-sent-by-you"));
        Assert.Equal($"/sent/{original.Id}", theirs.QuerySelector("a")?.GetAttribute("href"));
        var sentItem = await sender.GetPageAsync($"/sent/{original.Id}");
        Assert.Equal(HttpStatusCode.OK, sentItem.Status);
        Assert.Contains(Bob, sentItem.Text("dl.message-headers"), StringComparison.Ordinal);
        // Reading it as a recipient is still the access decision's to allow, and it does not.
        Assert.Equal(HttpStatusCode.NotFound, (await sender.GetPageAsync($"/messages/{original.Id}")).Status);

        // A stranger gets nothing of either message, however they ask.
        using var stranger = await StrangerAsync();
        foreach (var path in new[] { $"/messages/{replyId}", $"/messages/{original.Id}", $"/sent/{original.Id}", $"/sent/{replyId}" })
        {
            var refused = await stranger.GetPageAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, refused.Status);
            Assert.Empty(new MessagePage(refused).ThreadItems);
        }
    }

    [Fact]
    public async Task OriginalSender_WhoIsAlsoARecipient_OpensTheOriginalThroughTheAccessDecision()
    {
        var original = await IngestAsync(_host, [Bob], cc: [Sender]);
        using var bob = await SignInAsync(original, Bob);
        var (replyId, _) = await ReplyAsync(bob, original);
        var link = await WaitForNotificationLinkAsync(_host, replyId, Sender);
        using var sender = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, link);

        var onReply = new MessagePage(await sender.GetPageAsync($"/messages/{replyId}"));
        var theirs = onReply.ThreadItems.Single(i => i.GetAttribute("data-thread-item") == original.Id.ToString());
        Assert.Equal($"/messages/{original.Id}", theirs.QuerySelector("a")?.GetAttribute("href"));
        Assert.Equal(HttpStatusCode.OK, (await sender.GetPageAsync($"/messages/{original.Id}")).Status);

        // Withdrawn for the sender as a recipient, the same decision closes it: the conversation no longer opens it.
        await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == original.Id && r.Address == Sender)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));
        var after = new MessagePage(await sender.GetPageAsync($"/messages/{replyId}"));
        Assert.Equal($"/sent/{original.Id}", after.ThreadItems.Single(i => i.GetAttribute("data-thread-item") == original.Id.ToString()).QuerySelector("a")?.GetAttribute("href"));
    }
}

public sealed class RepliesYouCanSeeSqliteTests : RepliesYouCanSeeTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class RepliesYouCanSeePostgresTests : RepliesYouCanSeeTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
