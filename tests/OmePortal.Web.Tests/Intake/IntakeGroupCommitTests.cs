using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Npgsql;
using OmePortal.Core.Intake;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Intake;

namespace OmePortal.Web.Tests.Intake;

/// <summary>
/// Intakes that arrive while a commit is under way wait for the next one and share it (one transaction, one
/// fsync round). The database is held by a second connection so that the waiting is certain, not a race: the
/// first intake's transaction is stuck behind it, and the others queue until it is let go.
/// </summary>
public abstract class IntakeGroupCommitTests
{
    private const int Waiting = 5;

    protected abstract StorageKind Storage { get; }

    /// <summary>Keeps intake's inserts from committing until the result is disposed.</summary>
    protected abstract Task<IAsyncDisposable> HoldInsertsAsync(PortalHost host);

    [Fact]
    public async Task IntakesArrivingDuringACommit_ShareTheNextOne_AndEachIsStoredWithItsNotification()
    {
        await using var host = await StartAsync();
        var (tenant, queue) = await TenantAndQueueAsync(host);
        var before = queue.Transactions;

        Task<IngestResult>[] later;
        Task<IngestResult> first;
        await using (await HoldInsertsAsync(host))
        {
            first = IngestAsync(host, tenant, Message("first"));
            await Until(() => queue.InFlight == 1);
            later = [.. Enumerable.Range(0, Waiting).Select(i => IngestAsync(host, tenant, Message($"later {i}")))];
            await Until(() => queue.Waiting == Waiting);
            Assert.False(first.IsCompleted); // not acknowledged before its commit
        }

        var results = await Task.WhenAll([first, .. later]);

        var ids = results.Select(r => Assert.IsType<IngestResult.Accepted>(r).MessageId).ToHashSet();
        Assert.Equal(Waiting + 1, ids.Count);
        Assert.Equal(2, queue.Transactions - before); // the first alone, then the five together
        var (messages, recipients, notifications, audited) = await host.DbAsync(async db => (
            await db.Messages.CountAsync(m => ids.Contains(m.Id)),
            await db.Recipients.CountAsync(r => ids.Contains(r.MessageId)),
            await db.OutboundMails.CountAsync(o => o.MessageId != null && ids.Contains(o.MessageId.Value)),
            await db.AuditEvents.CountAsync(a => a.Kind == AuditEventKind.MessageReceived && a.MessageId != null && ids.Contains(a.MessageId.Value))));
        Assert.Equal((Waiting + 1, Waiting + 1, Waiting + 1, Waiting + 1), (messages, recipients, notifications, audited));
        await host.WaitForOutboxAsync(Waiting + 2); // and every notification went out, the warm-up's among them
    }

    [Fact]
    public async Task ARetriedSmtpTransactionInTheSameCommit_FailsOnlyItself_AndGetsTheFirstCopysId()
    {
        await using var host = await StartAsync();
        var (tenant, queue) = await TenantAndQueueAsync(host);
        var retried = Message("retried");

        Task<IngestResult> first;
        Task<IngestResult>[] later;
        await using (await HoldInsertsAsync(host))
        {
            first = IngestAsync(host, tenant, Message("first"));
            await Until(() => queue.InFlight == 1);

            // The same transaction twice (same Message-ID and envelope) between two unrelated messages: one batch.
            later = [IngestAsync(host, tenant, Message("before")), IngestAsync(host, tenant, retried), IngestAsync(host, tenant, retried), IngestAsync(host, tenant, Message("after"))];
            await Until(() => queue.Waiting == later.Length);
        }

        await first;
        var results = (await Task.WhenAll(later)).Select(r => Assert.IsType<IngestResult.Accepted>(r)).ToList();

        Assert.False(results[0].Duplicate);
        Assert.False(results[3].Duplicate);
        var copies = results.Skip(1).Take(2).ToList();
        Assert.Single(copies, c => c.Duplicate);
        Assert.Equal(copies[0].MessageId, copies[1].MessageId);
        var stored = await host.DbAsync(db => db.Messages.Select(m => m.Id).ToListAsync());
        Assert.Equal(5, stored.Count); // the warm-up, the first, before, one copy, after
        Assert.Contains(copies[0].MessageId, stored);
        Assert.Equal(10, await host.CountBlobsAsync()); // two per message: the losing copy's blobs are gone
    }

    /// <summary>A host that has taken one message already, so the tenant key exists before the database is held.</summary>
    private async Task<PortalHost> StartAsync()
    {
        var host = await new PortalHost(Storage, new Dictionary<string, string?> { ["OmePortal:Bootstrap:AcceptedDomains:0"] = "contoso.test" }).StartAsync();
        var (tenant, _) = await TenantAndQueueAsync(host);
        Assert.IsType<IngestResult.Accepted>(await IngestAsync(host, tenant, Message("warm-up")));
        return host;
    }

    private static async Task<(Guid Tenant, IntakeCommitQueue Queue)> TenantAndQueueAsync(PortalHost host) =>
        (await host.DbAsync(db => db.Tenants.Select(t => t.Id).SingleAsync()), host.Services.GetRequiredService<IntakeCommitQueue>());

    private static byte[] Message(string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@contoso.test"));
        message.To.Add(new MailboxAddress("Recipient", "recipient@example.nl"));
        message.Subject = subject;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("contoso.test");
        message.Body = new TextPart("plain") { Text = $"Body of {subject}." };
        return TestMessages.ToBytes(message);
    }

    /// <summary>As the SMTP gateway hands a message in: its source and envelope make a retry recognisable.</summary>
    private static async Task<IngestResult> IngestAsync(PortalHost host, Guid tenant, byte[] mime)
    {
        await using var scope = host.Services.CreateAsyncScope();
        using var stream = new MemoryStream(mime);
        return await scope.ServiceProvider.GetRequiredService<MessageIngestor>().IngestAsync(
            new IngestRequest(tenant, stream, IngestSource.Smtp, EnvelopeSender: "sender@contoso.test", EnvelopeRecipients: ["recipient@example.nl"]),
            CancellationToken.None);
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the commit queue");
            await Task.Delay(10);
        }
    }

    protected sealed class Held(Func<ValueTask> release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => release();
    }
}

public sealed class IntakeGroupCommitSqliteTests : IntakeGroupCommitTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;

    protected override async Task<IAsyncDisposable> HoldInsertsAsync(PortalHost host)
    {
        // SQLite has one write lock per database: a second connection in BEGIN IMMEDIATE holds it.
        var connection = new SqliteConnection($"Data Source={Path.Combine(host.DataDirectory, "omeportal.db")}");
        await connection.OpenAsync();
        var transaction = connection.BeginTransaction(deferred: false);
        return new Held(async () =>
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        });
    }
}

public sealed class IntakeGroupCommitPostgresTests : IntakeGroupCommitTests
{
    protected override StorageKind Storage => StorageKind.Postgres;

    protected override async Task<IAsyncDisposable> HoldInsertsAsync(PortalHost host)
    {
        // SHARE mode lets intake read the table but not insert into it.
        var connection = new NpgsqlConnection(host.PostgresConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("""LOCK TABLE "Messages" IN SHARE MODE""", connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new Held(async () =>
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        });
    }
}
