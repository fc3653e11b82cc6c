using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Revocation;
using static OmePortal.Web.Tests.Revocation.RevocationTestSupport;

namespace OmePortal.Web.Tests.Revocation;

/// <summary>
/// State that anyone can make the portal write (issue 18 item 7) does not grow without bound: the sweep removes
/// dead passcode challenges, empty lockout rows, ended and expired sessions, old passkey ceremonies and old
/// reply quota rows, and keeps every row a decision still reads.
/// </summary>
public abstract class AnonymousStateSweeperTests
{
    protected abstract StorageKind Storage { get; }

    private static async Task<T> DbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }

    private static PasscodeChallenge Challenge(string address, DateTimeOffset created, TimeSpan lifetime) => new()
    {
        Id = Guid.NewGuid(),
        Address = address,
        ReferenceCode = "ABC-123",
        CodeHash = new byte[32],
        CreatedAt = created,
        ExpiresAt = created + lifetime,
    };

    private static RecipientSession Session(string address, DateTimeOffset created, DateTimeOffset lastSeen, DateTimeOffset? ended = null) => new()
    {
        Id = Guid.NewGuid(),
        TokenHash = Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray(),
        Address = address,
        Method = "passcode",
        CreatedAt = created,
        LastSeenAt = lastSeen,
        ExpiresAt = created + TimeSpan.FromHours(12),
        EndedAt = ended,
    };

    private static PasskeyChallenge Ceremony(DateTimeOffset expires) => new()
    {
        Id = Guid.NewGuid(),
        Purpose = "signin",
        OptionsJson = "{}",
        CreatedAt = expires - TimeSpan.FromMinutes(5),
        ExpiresAt = expires,
    };

    /// <summary>An admin session row; the admin options' default absolute lifetime is 8 hours.</summary>
    private static AdminSession AdminSessionRow(Guid adminId, DateTimeOffset created, DateTimeOffset? ended = null) => new()
    {
        Id = Guid.NewGuid(),
        AdminUserId = adminId,
        CreatedAt = created,
        LastSeenAt = ended ?? created,
        EndedAt = ended,
    };

    private static ReplySendRecord ReplySend(DateTimeOffset sentAt, params string[] newRecipients)
    {
        var send = new ReplySendRecord { Id = Guid.NewGuid(), TenantId = Guid.NewGuid(), Address = "bob@example.nl", SessionId = Guid.NewGuid(), SentAt = sentAt };
        send.NewRecipients.AddRange(newRecipients.Select(a => new ReplySendRecipient { ReplySendId = send.Id, Address = a }));
        return send;
    }

    [Fact]
    public async Task Sweep_RemovesDeadAnonymousState_AndKeepsWhatDecisionsStillRead()
    {
        await using var host = await new PortalHost(Storage, Settings(sweeper: false)).StartAsync();
        var now = DateTimeOffset.UtcNow;
        var tenMinutes = TimeSpan.FromMinutes(10);
        var keptChallenges = new[]
        {
            Challenge("live@example.nl", now - TimeSpan.FromMinutes(1), tenMinutes),
            // Dead, but still counted by the per-hour passcode limit.
            Challenge("recent@example.nl", now - TimeSpan.FromMinutes(30), tenMinutes),
        };
        var keptSessions = new[] { Session("reader@example.nl", now - TimeSpan.FromHours(1), now - TimeSpan.FromMinutes(2)) };
        var admin = new AdminUser
        {
            Id = Guid.NewGuid(), UserName = "sweep-admin@example.test", NormalizedUserName = "SWEEP-ADMIN@EXAMPLE.TEST",
            Email = "sweep-admin@example.test", NormalizedEmail = "SWEEP-ADMIN@EXAMPLE.TEST", SecurityStamp = Guid.NewGuid().ToString("N"), CreatedAt = now,
        };
        var liveAdminSession = AdminSessionRow(admin.Id, now - TimeSpan.FromHours(7));
        await DbAsync(host, async db =>
        {
            db.PasscodeChallenges.AddRange(keptChallenges);
            for (var i = 0; i < 20; i++)
            {
                db.PasscodeChallenges.Add(Challenge($"old{i}@example.nl", now - TimeSpan.FromHours(2) - TimeSpan.FromMinutes(i), tenMinutes));
            }

            db.RecipientLockouts.AddRange(
                new RecipientLockout { Address = "failing@example.nl", ConsecutiveFailures = 3 },
                new RecipientLockout { Address = "cooling@example.nl", CooldownUntil = now + TimeSpan.FromMinutes(5) },
                new RecipientLockout { Address = "live@example.nl" },
                new RecipientLockout { Address = "cooled@example.nl", CooldownUntil = now - TimeSpan.FromMinutes(5) });
            for (var i = 0; i < 20; i++)
            {
                db.RecipientLockouts.Add(new RecipientLockout { Address = $"old{i}@example.nl" });
            }

            db.RecipientSessions.AddRange(keptSessions);
            db.RecipientSessions.AddRange(
                Session("ended@example.nl", now - TimeSpan.FromHours(1), now - TimeSpan.FromMinutes(2), ended: now - TimeSpan.FromMinutes(1)),
                Session("idle@example.nl", now - TimeSpan.FromHours(2), now - TimeSpan.FromMinutes(31)),
                Session("expired@example.nl", now - TimeSpan.FromHours(13), now - TimeSpan.FromMinutes(1)));
            db.PasskeyChallenges.AddRange(Ceremony(now + TimeSpan.FromMinutes(4)), Ceremony(now - TimeSpan.FromMinutes(1)), Ceremony(now - TimeSpan.FromDays(3)));
            db.ReplySends.AddRange(ReplySend(now - TimeSpan.FromHours(2), "a@example.com"), ReplySend(now - TimeSpan.FromDays(2), "b@example.com", "c@example.com"));
            db.Users.Add(admin);
            db.AdminSessions.AddRange(
                liveAdminSession,
                AdminSessionRow(admin.Id, now - TimeSpan.FromHours(1), ended: now - TimeSpan.FromMinutes(5)),
                AdminSessionRow(admin.Id, now - TimeSpan.FromHours(9)));
            return await db.SaveChangesAsync();
        });

        var swept = await host.Services.GetRequiredService<ExpirySweeper>().SweepAnonymousStateAsync(CancellationToken.None);

        Assert.Equal(new AnonymousStateSwept(PasscodeChallenges: 20, Lockouts: 21, Sessions: 3, PasskeyChallenges: 2, ReplySends: 1, AdminSessions: 2), swept);
        Assert.Equal(keptChallenges.Select(c => c.Id).Order(), await DbAsync(host, db => db.PasscodeChallenges.Select(c => c.Id).OrderBy(i => i).ToListAsync()));
        Assert.Equal(["cooling@example.nl", "failing@example.nl", "live@example.nl"], await DbAsync(host, db => db.RecipientLockouts.Select(l => l.Address).OrderBy(a => a).ToListAsync()));
        Assert.Equal([keptSessions[0].Id], await DbAsync(host, db => db.RecipientSessions.Select(s => s.Id).ToListAsync()));
        Assert.Equal(1, await DbAsync(host, db => db.PasskeyChallenges.CountAsync()));
        Assert.Equal(["a@example.com"], await DbAsync(host, db => db.ReplySendRecipients.Select(r => r.Address).ToListAsync()));
        Assert.Equal([liveAdminSession.Id], await DbAsync(host, db => db.AdminSessions.Select(s => s.Id).ToListAsync()));

        // Nothing left to remove: a second sweep changes nothing.
        Assert.Equal(0, (await host.Services.GetRequiredService<ExpirySweeper>().SweepAnonymousStateAsync(CancellationToken.None)).Total);
    }

    [Fact]
    public async Task Sweep_AfterARealSignIn_KeepsTheLiveSessionAndItsRows()
    {
        await using var host = await new PortalHost(Storage, Settings(sweeper: false)).StartAsync();
        var message = await Reading.ReadingTestSupport.IngestAsync(host, PolicyTo("reader@example.nl"));
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(host, message.Links["reader@example.nl"]);

        await host.Services.GetRequiredService<ExpirySweeper>().SweepAnonymousStateAsync(CancellationToken.None);

        // The session still works, and the challenge still counts for the hourly passcode limit.
        using var inbox = await reader.Http.GetAsync("/inbox");
        Assert.Equal(System.Net.HttpStatusCode.OK, inbox.StatusCode);
        Assert.Equal(1, await DbAsync(host, db => db.RecipientSessions.CountAsync()));
        Assert.Equal(1, await DbAsync(host, db => db.PasscodeChallenges.CountAsync()));
    }
}

public sealed class AnonymousStateSweeperSqliteTests : AnonymousStateSweeperTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AnonymousStateSweeperPostgresTests : AnonymousStateSweeperTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
