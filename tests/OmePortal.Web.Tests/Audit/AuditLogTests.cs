using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin.Trace;
using OmePortal.Web.Admin.Audit;
using OmePortal.Web.Audit;
using OmePortal.Web.Tests.Replies;
using static OmePortal.Web.Tests.Audit.AuditTestSupport;

namespace OmePortal.Web.Tests.Audit;

/// <summary>The audit log's guarantees: append-only whatever path a write takes, tenant-scoped reads and exports, safe CSV.</summary>
public abstract class AuditLogTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, ReplyTestSupport.Settings()).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<long> OneEventAsync()
    {
        var tenantId = await FirstTenantAsync(_host);
        await ServiceAsync<AuditLog, int>(_host, async log =>
        {
            await log.RecordAsync(tenantId, AuditEventKind.KeyRotated, "admin@contoso.test", detail: "version 2");
            return 0;
        });
        return await DbAsync(_host, db => db.AuditEvents.Where(e => e.Kind == AuditEventKind.KeyRotated).Select(e => e.Id).SingleAsync());
    }

    [Fact]
    public async Task AppendOnly_TrackedChangeOrRemoval_IsRefusedBeforeAnySql()
    {
        var id = await OneEventAsync();

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var entry = await db.AuditEvents.SingleAsync(e => e.Id == id);
            entry.Detail = "forged";
            await Assert.ThrowsAsync<AuditLogIsAppendOnlyException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();

            db.AuditEvents.Remove(await db.AuditEvents.SingleAsync(e => e.Id == id));
            Assert.Throws<AuditLogIsAppendOnlyException>(() => db.SaveChanges());
        }

        var stored = await DbAsync(_host, db => db.AuditEvents.AsNoTracking().SingleAsync(e => e.Id == id));
        Assert.Equal("version 2", stored.Detail);
    }

    [Fact]
    public async Task AppendOnly_SetBasedUpdateDeleteOrRawSql_IsRefused()
    {
        var id = await OneEventAsync();

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await Assert.ThrowsAsync<AuditLogIsAppendOnlyException>(() =>
                db.AuditEvents.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Actor, "someone else")));
            await Assert.ThrowsAsync<AuditLogIsAppendOnlyException>(() => db.AuditEvents.Where(e => e.Id == id).ExecuteDeleteAsync());
            await Assert.ThrowsAsync<AuditLogIsAppendOnlyException>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditEvents\""));
            await Assert.ThrowsAsync<AuditLogIsAppendOnlyException>(() => db.Database.ExecuteSqlRawAsync("update \"AuditEvents\" set \"Detail\" = 'x'"));

            // Appending and reading are untouched.
            await scope.ServiceProvider.GetRequiredService<AuditLog>().RecordAsync(await FirstTenantAsync(_host), AuditEventKind.KeyRotated, "admin@contoso.test");
        }

        var stored = await DbAsync(_host, db => db.AuditEvents.AsNoTracking().Where(e => e.Kind == AuditEventKind.KeyRotated).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(2, stored.Count);
        Assert.Equal(("admin@contoso.test", "version 2"), (stored[0].Actor, stored[0].Detail));
    }

    [Fact]
    public void AppendOnly_StatementsOfOtherTables_AreLeftAlone()
    {
        Assert.False(AppendOnlyAuditGuard.Rewrites("UPDATE \"Recipients\" SET \"FirstViewedAt\" = @p WHERE \"Id\" = @id"));
        Assert.False(AppendOnlyAuditGuard.Rewrites("INSERT INTO \"AuditEvents\" (\"Actor\") VALUES (@p0) RETURNING \"Id\""));
        Assert.False(AppendOnlyAuditGuard.Rewrites("SELECT a.\"Id\" FROM \"AuditEvents\" AS a WHERE a.\"TenantId\" = @t"));
        Assert.True(AppendOnlyAuditGuard.Rewrites("UPDATE \"AuditEvents\" AS a SET \"Detail\" = NULL"));
        Assert.True(AppendOnlyAuditGuard.Rewrites("DELETE FROM \"AuditEvents\" AS a WHERE a.\"Id\" = 1"));
        Assert.True(AppendOnlyAuditGuard.Rewrites("TRUNCATE TABLE \"AuditEvents\""));
    }

    [Fact]
    public async Task TenantIsolation_OtherTenantsMessagesAndEvents_AreNotFoundByIdOrSearch()
    {
        var tenantA = await FirstTenantAsync(_host);
        var mine = await ReplyTestSupport.IngestAsync(_host, ["bob@example.nl"]);
        var (tenantB, theirs) = await OtherTenantAsync(_host, "ceo@fabrikam.test", "bob@example.nl");

        var byId = await ServiceAsync<MessageTrace, TracedMessage?>(_host, t => t.FindAsync(tenantA, theirs, CancellationToken.None));
        Assert.Null(byId);
        Assert.NotNull(await ServiceAsync<MessageTrace, TracedMessage?>(_host, t => t.FindAsync(tenantB, theirs, CancellationToken.None)));

        var bySender = await ServiceAsync<MessageTrace, TracePage>(_host, t => t.SearchAsync(tenantA, new TraceSearch(Sender: "fabrikam"), 1, CancellationToken.None));
        Assert.Empty(bySender.Rows);
        var byRecipient = await ServiceAsync<MessageTrace, TracePage>(_host, t => t.SearchAsync(tenantA, new TraceSearch(Recipient: "bob@example.nl"), 1, CancellationToken.None));
        Assert.Equal([mine.Id], byRecipient.Rows.Select(r => r.Id));

        var events = await ServiceAsync<AuditQueries, AuditPage>(_host, q => q.SearchAsync(tenantA, new AuditFilter(MessageId: theirs), 1, CancellationToken.None));
        Assert.Empty(events.Events);
        var all = await ServiceAsync<AuditQueries, AuditPage>(_host, q => q.SearchAsync(tenantA, new AuditFilter(), 1, CancellationToken.None));
        Assert.NotEmpty(all.Events);
        Assert.All(all.Events, e => Assert.Equal(tenantA, e.TenantId));
        Assert.DoesNotContain(all.Events, e => e.MessageId == theirs || e.Actor == "api:omp_other");

        var csv = await CsvAsync(tenantA, new AuditFilter());
        Assert.DoesNotContain(theirs.ToString(), csv, StringComparison.Ordinal);
        Assert.DoesNotContain("api:omp_other", csv, StringComparison.Ordinal);
        Assert.Contains(mine.Id.ToString(), csv, StringComparison.Ordinal);
        var theirsOnly = await CsvAsync(tenantA, new AuditFilter(MessageId: theirs));
        Assert.Equal(string.Join(',', AuditQueries.CsvColumns) + "\r\n", theirsOnly);
    }

    [Fact]
    public async Task Csv_HostileActorAndDetail_AreQuotedAndDefused()
    {
        var tenantId = await FirstTenantAsync(_host);
        await ServiceAsync<AuditLog, int>(_host, async log =>
        {
            await log.RecordAsync(tenantId, AuditEventKind.SignedIn, "=cmd|'/c calc'!A0@evil.example", detail: "a,\"b\"\r\nc");
            return 0;
        });

        var csv = await CsvAsync(tenantId, new AuditFilter(Kind: AuditEventKind.SignedIn));
        var lines = csv.Split("\r\n");
        Assert.Equal("id,at_utc,kind,actor,message_id,recipient_id,detail", lines[0]);
        Assert.EndsWith(",SignedIn,'=cmd|'/c calc'!A0@evil.example,,,\"a,\"\"b\"\"", lines[1], StringComparison.Ordinal);
        Assert.Equal("c\"", lines[2]);
        Assert.Equal(string.Empty, lines[3]);
    }

    [Fact]
    public async Task Search_FiltersByKindActorDateAndPagesNewestFirst()
    {
        var tenantId = await FirstTenantAsync(_host);
        await ServiceAsync<AuditLog, int>(_host, async log =>
        {
            for (var i = 0; i < AuditQueries.PageSize + 5; i++)
            {
                log.Add(tenantId, AuditEventKind.TemplateChanged, $"admin{i % 2}@contoso.test", detail: i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            await log.RecordAsync(tenantId, AuditEventKind.RuleChanged, "admin0@contoso.test");
            return 0;
        });

        var first = await ServiceAsync<AuditQueries, AuditPage>(_host, q => q.SearchAsync(tenantId, new AuditFilter(Kind: AuditEventKind.TemplateChanged), 1, CancellationToken.None));
        Assert.Equal((AuditQueries.PageSize + 5, 2, AuditQueries.PageSize), (first.Total, first.PageCount, first.Events.Count));
        Assert.True(first.Events.Zip(first.Events.Skip(1)).All(p => p.First.At > p.Second.At || (p.First.At == p.Second.At && p.First.Id > p.Second.Id)));
        var second = await ServiceAsync<AuditQueries, AuditPage>(_host, q => q.SearchAsync(tenantId, new AuditFilter(Kind: AuditEventKind.TemplateChanged), 2, CancellationToken.None));
        Assert.Equal(5, second.Events.Count);
        Assert.Empty(first.Events.Select(e => e.Id).Intersect(second.Events.Select(e => e.Id)));

        var byActor = await ServiceAsync<AuditQueries, AuditPage>(_host, q => q.SearchAsync(tenantId, new AuditFilter(Actor: "ADMIN1@"), 1, CancellationToken.None));
        Assert.Equal((AuditQueries.PageSize + 5) / 2, byActor.Total);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var inRange = await ServiceAsync<AuditQueries, AuditPage>(_host, q => q.SearchAsync(tenantId, new AuditFilter(Kind: AuditEventKind.TemplateChanged, From: today.AddDays(-1), To: today), 1, CancellationToken.None));
        Assert.Equal(AuditQueries.PageSize + 5, inRange.Total);
        var before = await ServiceAsync<AuditQueries, AuditPage>(_host, q => q.SearchAsync(tenantId, new AuditFilter(To: today.AddDays(-1)), 1, CancellationToken.None));
        Assert.Equal(0, before.Total);
    }

    private Task<string> CsvAsync(Guid tenantId, AuditFilter filter) =>
        ServiceAsync<AuditQueries, string>(_host, async q =>
        {
            await using var buffer = new StringWriter();
            await q.WriteCsvAsync(tenantId, filter, buffer, CancellationToken.None);
            return buffer.ToString();
        });
}

public sealed class AuditLogSqliteTests : AuditLogTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class AuditLogPostgresTests : AuditLogTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
