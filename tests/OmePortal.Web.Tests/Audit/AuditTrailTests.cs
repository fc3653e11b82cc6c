using System.Net;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin.Trace;
using OmePortal.Web.Audit;
using OmePortal.Web.Tests.Reading;
using OmePortal.Web.Tests.Replies;
using static OmePortal.Web.Tests.Audit.AuditTestSupport;

namespace OmePortal.Web.Tests.Audit;

/// <summary>
/// The audit events a recipient's path writes, over real HTTP (REST intake, the notification
/// dispatcher, the passcode pages, reading, downloading, replying), and what the message trace
/// derives from them.
/// </summary>
public abstract class AuditTrailTests : IAsyncLifetime
{
    private const string Bob = "bob@example.nl";
    private const string Carol = "carol@example.nl";

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, ReplyTestSupport.Settings()).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>ingest → notified → passcode sent → wrong code → signed in → viewed (twice) → attachment downloaded → replied.</summary>
    private async Task<Guid> WalkRecipientPathAsync()
    {
        var original = await ReplyTestSupport.IngestAsync(_host, [Bob, Carol]);
        await WaitForEventAsync(_host, original.Id, AuditEventKind.NotificationSent, count: 2);

        using var bob = RecipientBrowserlessClient.Anonymous(_host);
        var (codePage, reference) = await RequestPasscodeAsync(bob, original.Links[Bob]);
        var code = await bob.WaitForPasscodeAsync(reference);
        // A wrong code redirects back to the code page (no re-post on refresh), and is audited all the same.
        Assert.Equal(HttpStatusCode.Redirect, await EnterCodeAsync(bob, codePage, WrongCode(code)));
        Assert.Equal(HttpStatusCode.Redirect, await EnterCodeAsync(bob, codePage, code));

        using var first = await bob.Http.GetAsync($"/messages/{original.Id}");
        var page = await first.Content.ReadAsStringAsync();
        Assert.True(first.StatusCode == HttpStatusCode.OK, page);
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.GetAsync($"/messages/{original.Id}")).StatusCode);
        var index = ReadingTestSupport.AttachmentIndex(page, original.Id, "figures.txt");
        using (var download = await bob.Http.GetAsync($"/messages/{original.Id}/attachments/{index}"))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        }

        using (var reply = await ReplyTestSupport.PostReplyAsync(bob, original.Id, "reply", "Thanks"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, reply.StatusCode);
        }

        return original.Id;
    }

    [Fact]
    public async Task RecipientPath_IngestToReply_RecordsExactlyTheExpectedEventsInOrder()
    {
        var id = await WalkRecipientPathAsync();
        var tenantId = await FirstTenantAsync(_host);
        var recipients = await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == id).ToDictionaryAsync(r => r.Address, r => r.Id));
        var reply = await ReplyTestSupport.ReplyToAsync(_host, id);

        var events = await EventsOfAsync(_host, id);
        Assert.All(events, e => Assert.Equal(tenantId, e.TenantId));
        var received = events[0];
        Assert.Equal(AuditEventKind.MessageReceived, received.Kind);
        Assert.Equal("api:" + _host.ApiKey[..12], received.Actor);
        Assert.Equal("api", received.Detail);

        // The two notifications leave in either order; everything after is Bob's, in order.
        Assert.Equal(
            [(AuditEventKind.NotificationSent, AuditLog.SystemActor, recipients[Bob]), (AuditEventKind.NotificationSent, AuditLog.SystemActor, recipients[Carol])],
            events.Skip(1).Take(2).Select(e => (e.Kind, e.Actor, e.RecipientId!.Value)).OrderBy(e => e.Item3 == recipients[Carol]));
        Assert.Equal(
            [
                (AuditEventKind.PasscodeSent, Bob),
                (AuditEventKind.PasscodeFailed, Bob),
                (AuditEventKind.SignedIn, Bob),
                (AuditEventKind.MessageViewed, Bob),
                (AuditEventKind.AttachmentDownloaded, Bob),
                (AuditEventKind.Replied, Bob),
            ],
            events.Skip(3).Select(e => (e.Kind, e.Actor)));
        Assert.All(events.Skip(3), e => Assert.Equal(recipients[Bob], e.RecipientId));
        Assert.Equal("passcode", events.Single(e => e.Kind == AuditEventKind.SignedIn).Detail);
        Assert.Equal($"reply; {reply.Id}", events.Single(e => e.Kind == AuditEventKind.Replied).Detail);
        Assert.Matches("^[A-Z2-9]{6}; attempt 1$", events.Single(e => e.Kind == AuditEventKind.PasscodeFailed).Detail);

        // The reply is a message of its own, received from the verified address.
        var replyEvents = await EventsOfAsync(_host, reply.Id);
        Assert.Equal((AuditEventKind.MessageReceived, Bob, "reply"), (replyEvents[0].Kind, replyEvents[0].Actor, replyEvents[0].Detail));

        // Metadata only: no event carries the subject, body or attachment name.
        var all = await DbAsync(_host, db => db.AuditEvents.AsNoTracking().ToListAsync());
        Assert.DoesNotContain(all, e => $"{e.Actor} {e.Detail}".Contains("Quarterly", StringComparison.Ordinal) || $"{e.Detail}".Contains("figures.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trace_AfterRecipientPath_ShowsEachRecipientsStatus()
    {
        var id = await WalkRecipientPathAsync();
        var tenantId = await FirstTenantAsync(_host);

        var traced = await ServiceAsync<MessageTrace, TracedMessage?>(_host, t => t.FindAsync(tenantId, id, CancellationToken.None));

        Assert.NotNull(traced);
        Assert.Equal("sender@contoso.test", traced.Sender);
        Assert.Equal(OmePortal.Core.Intake.ProtectionLevel.EncryptOnly, traced.Protection);
        Assert.Equal(TraceMessageState.Active, traced.State);
        Assert.False(string.IsNullOrEmpty(traced.TemplateName));
        var bob = traced.Recipients.Single(r => r.Address == Bob);
        Assert.Equal(TraceNotificationState.Sent, bob.Notification);
        Assert.NotNull(bob.NotifiedAt);
        Assert.NotNull(bob.PasscodeSentAt);
        Assert.Equal(1, bob.PasscodeFailures);
        Assert.Equal(["passcode"], bob.SignInMethods);
        Assert.NotNull(bob.FirstViewedAt);
        Assert.Equal(1, bob.Downloads);
        Assert.NotNull(bob.RepliedAt);
        Assert.Null(bob.ForwardedAt);
        var carol = traced.Recipients.Single(r => r.Address == Carol);
        Assert.Equal(TraceNotificationState.Sent, carol.Notification);
        Assert.Null(carol.PasscodeSentAt);
        Assert.Empty(carol.SignInMethods);
        Assert.Null(carol.FirstViewedAt);
        Assert.Equal(0, carol.Downloads);
        Assert.Null(carol.RepliedAt);

        var search = await ServiceAsync<MessageTrace, TracePage>(_host, t => t.SearchAsync(tenantId, new TraceSearch(Recipient: "CAROL@"), 1, CancellationToken.None));
        var row = Assert.Single(search.Rows);
        Assert.Equal((id, 2, 1), (row.Id, row.RecipientCount, row.ViewedCount));
        var notViewed = await ServiceAsync<MessageTrace, TracePage>(_host, t => t.SearchAsync(tenantId, new TraceSearch(Status: TraceStatus.NotViewed), 1, CancellationToken.None));
        Assert.Contains(notViewed.Rows, r => r.Id == id);
        var replied = await ServiceAsync<MessageTrace, TracePage>(_host, t => t.SearchAsync(tenantId, new TraceSearch(Status: TraceStatus.Replied), 1, CancellationToken.None));
        Assert.Equal([id], replied.Rows.Select(r => r.Id));
    }

    [Fact]
    public async Task Forward_RecordsForwardedAndTheTraceShowsIt()
    {
        var original = await ReplyTestSupport.IngestAsync(_host, [Bob]);
        using var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, original.Links[Bob]);
        using (var forward = await ReplyTestSupport.PostReplyAsync(bob, original.Id, "forward", "FYI", [("To", "dave@example.org")]))
        {
            Assert.Equal(HttpStatusCode.SeeOther, forward.StatusCode);
        }

        var events = await EventsOfAsync(_host, original.Id);
        var forwarded = Assert.Single(events, e => e.Kind == AuditEventKind.Forwarded);
        Assert.Equal(Bob, forwarded.Actor);
        Assert.StartsWith("forward; ", forwarded.Detail, StringComparison.Ordinal);
        var traced = await ServiceAsync<MessageTrace, TracedMessage?>(_host, async t => await t.FindAsync(await FirstTenantAsync(_host), original.Id, CancellationToken.None));
        Assert.NotNull(Assert.Single(traced!.Recipients).ForwardedAt);
    }

    [Fact]
    public async Task InboxSignIn_IsRecordedForTheAddressAndShownOnItsMessages()
    {
        var original = await ReplyTestSupport.IngestAsync(_host, [Bob]);
        using var bob = await RecipientBrowserlessClient.SignInWithAddressAsync(_host, Bob);
        var tenantId = await FirstTenantAsync(_host);

        var signIn = await DbAsync(_host, db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.Kind == AuditEventKind.SignedIn));
        Assert.Equal((tenantId, Bob, "passcode", (Guid?)null), (signIn.TenantId, signIn.Actor, signIn.Detail, signIn.MessageId));
        var traced = await ServiceAsync<MessageTrace, TracedMessage?>(_host, t => t.FindAsync(tenantId, original.Id, CancellationToken.None));
        Assert.Equal(["passcode"], Assert.Single(traced!.Recipients).SignInMethods);
    }

    [Fact]
    public async Task UnknownAddress_SigningInRecordsNothing()
    {
        using var stranger = RecipientBrowserlessClient.Anonymous(_host);
        using var requested = await stranger.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = "nobody@example.org" });
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        var codePage = requested.Headers.Location!.OriginalString;
        Assert.Equal(HttpStatusCode.Redirect, await EnterCodeAsync(stranger, codePage, "12345678"));

        Assert.Equal(0, await DbAsync(_host, db => db.AuditEvents.CountAsync(e => e.Actor == "nobody@example.org")));
    }
}

public sealed class AuditTrailSqliteTests : AuditTrailTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AuditTrailPostgresTests : AuditTrailTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
