using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Notifications;
using OmePortal.Web.Revocation;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>
/// Two portal hosts on one PostgreSQL database (one master key, one blob store, one clock), both running their
/// background services: the work they share is done once. SQLite is not a case here: its file belongs to one node.
/// </summary>
public sealed class TwoNodeBackgroundWorkTests(TwoNodeBackgroundWorkTests.Nodes nodes) : IClassFixture<TwoNodeBackgroundWorkTests.Nodes>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>Both nodes, started once for the class: each test makes its own messages and looks only at those.</summary>
    public sealed class Nodes : IAsyncLifetime
    {
        public ManualTimeProvider Clock { get; } = new();

        public SmtpSink Sink { get; } = new();

        public PortalHost A { get; private set; } = null!;

        public PortalHost B { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var settings = new Dictionary<string, string?>(Sink.SmartHostSettings())
            {
                ["OmePortal:Notifications:LeaseDuration"] = Lease.ToString(),
                // Swept by hand, by both nodes at once.
                ["OmePortal:Revocation:SweeperEnabled"] = "false",
            };
            A = await new PortalHost(StorageKind.Postgres, settings) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(Clock) }.StartAsync();
            B = await A.AnotherNode(serviceOverrides: s => s.AddSingleton<TimeProvider>(Clock)).StartAsync();
        }

        public async Task DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
            await Sink.DisposeAsync();
        }
    }

    private PortalHost A => nodes.A;

    private PortalHost B => nodes.B;

    [Fact]
    public async Task QueuedNotifications_BothDispatchersRunning_EachSentExactlyOnce()
    {
        // The relay refuses while the messages come in, so the rows wait (the clock stands still) until both nodes
        // find all of them due at the same moment.
        var run = TestMessages.NewMarker("d");
        var recipients = Enumerable.Range(0, 24).Select(i => $"{run}-{i}@example.nl").ToArray();
        nodes.Sink.Refuse = true;
        List<Guid> ids = [];
        try
        {
            for (var i = 0; i < recipients.Length; i++)
            {
                ids.Add((await (i % 2 == 0 ? A : B).IngestAsync(TestMessages.WithMarkers(run, run, run, run, recipients[i]))).Id);
            }

            await WaitAsync(() => A.DbAsync(db => db.OutboundMails.CountAsync(o => ids.Contains(o.MessageId!.Value) && o.Attempts >= 1)), recipients.Length);
        }
        finally
        {
            nodes.Sink.Refuse = false;
        }

        nodes.Clock.Advance(TimeSpan.FromSeconds(5));
        await Task.WhenAll(DeliverAsync(A), DeliverAsync(B), DeliverAsync(A), DeliverAsync(B));
        await WaitAsync(() => A.DbAsync(db => db.OutboundMails.CountAsync(o => ids.Contains(o.MessageId!.Value) && o.Status == OutboundMailStatus.Sent)), recipients.Length);

        var received = nodes.Sink.Received.SelectMany(m => m.To.Mailboxes).Select(m => m.Address).Where(a => a.StartsWith(run, StringComparison.Ordinal)).ToList();
        Assert.Equal(recipients.Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
        var sentEvents = await A.DbAsync(db => db.AuditEvents.CountAsync(e => ids.Contains(e.MessageId!.Value) && e.Kind == AuditEventKind.NotificationSent));
        Assert.Equal(recipients.Length, sentEvents);
    }

    [Fact]
    public async Task LeaseOfADeadNode_IsTakenOver_OnlyAfterItEnds()
    {
        var run = TestMessages.NewMarker("l");
        var address = $"{run}@example.nl";
        nodes.Sink.Refuse = true;
        Guid id;
        try
        {
            id = (await A.IngestAsync(TestMessages.WithMarkers(run, run, run, run, address))).Id;
            await WaitAsync(() => A.DbAsync(db => db.OutboundMails.CountAsync(o => o.MessageId == id && o.Attempts >= 1)), 1);
        }
        finally
        {
            nodes.Sink.Refuse = false;
        }

        // A node that claimed the row and died: due, but leased until a lease from now.
        var now = nodes.Clock.GetUtcNow();
        await A.DbAsync(db => db.OutboundMails.Where(o => o.MessageId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.NextAttemptAt, now).SetProperty(o => o.LeaseUntil, now + Lease)));

        nodes.Clock.Advance(Lease - TimeSpan.FromSeconds(1));
        var whileLeased = await Task.WhenAll(DeliverAsync(A), DeliverAsync(B));
        Assert.Equal(new[] { 0, 0 }, whileLeased);
        await Task.Delay(500);
        Assert.DoesNotContain(nodes.Sink.Received, m => m.To.Mailboxes.Any(a => a.Address == address));

        nodes.Clock.Advance(TimeSpan.FromSeconds(2));
        await Task.WhenAll(DeliverAsync(A), DeliverAsync(B));
        await WaitAsync(() => A.DbAsync(db => db.OutboundMails.CountAsync(o => o.MessageId == id && o.Status == OutboundMailStatus.Sent)), 1);
        Assert.Single(nodes.Sink.Received, m => m.To.Mailboxes.Any(a => a.Address == address));
    }

    [Fact]
    public async Task ExpiredMessages_TwoSweepersAtOnce_EachShreddedOnce()
    {
        var run = TestMessages.NewMarker("s");
        List<(Guid Id, string Content, string? Render)> messages = [];
        for (var i = 0; i < 6; i++)
        {
            var id = (await (i % 2 == 0 ? A : B).IngestAsync(TestMessages.WithMarkers(run, run, run, run, $"{run}-{i}@example.nl"), "?expiresInDays=1")).Id;
            var record = await A.DbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == id));
            messages.Add((id, record.ContentBlob, record.RenderBlob));
            Assert.True(File.Exists(Path.Combine(A.BlobDirectory, record.ContentBlob)));
        }

        var shredEventsBefore = await A.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.MessageShredded));
        nodes.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var shredded = await Task.WhenAll(Sweep(A), Sweep(B), Sweep(A), Sweep(B));

        var ids = messages.Select(m => m.Id).ToList();
        var events = await A.DbAsync(db => db.AuditEvents.AsNoTracking().Where(e => ids.Contains(e.MessageId!.Value)).ToListAsync());
        foreach (var (id, content, render) in messages)
        {
            Assert.Null((await A.DbAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == id))).WrappedKey);
            Assert.Single(events, e => e.MessageId == id && e.Kind == AuditEventKind.MessageShredded);
            Assert.Single(events, e => e.MessageId == id && e.Kind == AuditEventKind.MessageExpired);
            Assert.False(File.Exists(Path.Combine(A.BlobDirectory, content)));
            Assert.True(render is null || !File.Exists(Path.Combine(A.BlobDirectory, render)));
        }

        // Every shred a sweeper counted is one audited shred, and none was counted twice (messages of other tests may be due too).
        var shredEventsAfter = await A.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditEventKind.MessageShredded));
        Assert.True(shredded.Sum() >= messages.Count);
        Assert.Equal(shredEventsAfter - shredEventsBefore, shredded.Sum());
    }

    [Fact]
    public async Task Rotation_TwoNodesRewrapping_EveryKeyOnTheNewVersionAndStillOpens()
    {
        var run = TestMessages.NewMarker("r");
        List<Guid> ids = [];
        for (var i = 0; i < 8; i++)
        {
            ids.Add((await (i % 2 == 0 ? A : B).IngestAsync(TestMessages.WithMarkers(run, run, run, run, $"{run}-{i}@example.nl"))).Id);
        }

        var tenant = await A.DbAsync(db => db.Messages.Where(m => m.Id == ids[0]).Select(m => m.TenantId).SingleAsync());
        var oldVersion = await A.DbAsync(db => db.TenantKeys.Where(k => k.TenantId == tenant && k.IsActive).Select(k => k.Version).SingleAsync());
        var newVersion = await A.InScopeAsync(sp => sp.GetRequiredService<TenantKeyRing>().RotateAsync(sp.GetRequiredService<OmePortalDbContext>(), tenant, CancellationToken.None));

        await Task.WhenAll(Rewrap(A), Rewrap(B), Rewrap(A), Rewrap(B));

        Assert.Equal(0, await A.DbAsync(db => db.Messages.CountAsync(m => m.TenantId == tenant && m.WrappedKey != null && m.KeyVersion != newVersion)));
        Assert.True(await A.DbAsync(db => db.TenantKeys.Where(k => k.TenantId == tenant && k.Version == oldVersion).Select(k => k.WrappedKey == null).SingleAsync()));
        foreach (var node in new[] { A, B })
        {
            foreach (var id in ids)
            {
                var opened = await node.InScopeAsync(async sp =>
                {
                    var db = sp.GetRequiredService<OmePortalDbContext>();
                    var message = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == id);
                    return await sp.GetRequiredService<MessageVault>().OpenBlobAsync(db, message, OmePortal.Core.Vault.BlobPurpose.Content, CancellationToken.None);
                });
                var plaintext = Assert.IsType<VaultReadResult.Opened>(opened).Plaintext;
                await using (plaintext)
                {
                    using var reader = new StreamReader(plaintext);
                    Assert.Contains(run, await reader.ReadToEndAsync(), StringComparison.Ordinal);
                }
            }
        }
    }

    private static Task<int> DeliverAsync(PortalHost node) => node.Services.GetRequiredService<NotificationDispatcher>().DeliverDueAsync(CancellationToken.None);

    private static Task<int> Sweep(PortalHost node) => Task.Run(() => node.Services.GetRequiredService<ExpirySweeper>().SweepAsync(CancellationToken.None));

    private static Task<int> Rewrap(PortalHost node) => Task.Run(() => KeyRewrapService.RewrapAllAsync(node.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None));

    private static async Task WaitAsync(Func<Task<int>> count, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        int current;
        while ((current = await count()) < expected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {expected}, found {current}.");
            }

            await Task.Delay(100);
        }
    }
}
