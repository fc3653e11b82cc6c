using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Storage;

namespace OmePortal.Web.Tests.Storage;

/// <summary>
/// A pooled context keeps its SQLite connection open from one request to the next, and the SELECTs EF
/// runs on it are compiled once and reused: with the right rows for every parameter, nested readers of
/// the same query, transactions, and a fresh start when the connection closes.
/// </summary>
public sealed class SqliteStatementCacheTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(StorageKind.Sqlite).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_connection_of_a_pooled_context_stays_open_and_its_statements_stay_compiled_across_scopes()
    {
        var tenants = await SeedTenantsAsync("kept-a", "kept-b");
        SqliteConnection first;
        (int Kept, long Reused) start;
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            first = (SqliteConnection)db.Database.GetDbConnection();
            start = SqliteStatementCache.StatisticsFor(first);
            Assert.Equal("kept-a", await NameAsync(db, tenants[0]));
            Assert.Equal((start.Kept + 1, start.Reused), SqliteStatementCache.StatisticsFor(first));
        }

        Assert.Equal(System.Data.ConnectionState.Open, first.State);

        // The pool hands its contexts out in turn; lease until that context comes back.
        for (var lease = 0; lease < 100; lease++)
        {
            await using var scope = _host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            if (!ReferenceEquals(first, db.Database.GetDbConnection()))
            {
                continue;
            }

            Assert.Equal(System.Data.ConnectionState.Open, first.State);

            // Background services may have used the context in between; counted from this lease on.
            var leased = SqliteStatementCache.StatisticsFor(first);
            Assert.True(leased.Kept > start.Kept);

            // The kept statement answers with each execution's own parameter, and is not compiled again.
            Assert.Equal("kept-b", await NameAsync(db, tenants[1]));
            Assert.Equal((leased.Kept, leased.Reused + 1), SqliteStatementCache.StatisticsFor(first));
            Assert.Equal("kept-a", await NameAsync(db, tenants[0]));
            Assert.Null(await NameAsync(db, Guid.NewGuid()));
            Assert.Equal((leased.Kept, leased.Reused + 3), SqliteStatementCache.StatisticsFor(first));
            return;
        }

        Assert.Fail("The pooled context never came back with its connection.");
    }

    [Fact]
    public async Task A_query_run_while_a_reader_of_the_same_query_is_open_gets_its_own_command()
    {
        var tenants = await SeedTenantsAsync("outer", "inner");
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var names = new List<string?>();
        await foreach (var name in db.Tenants.AsNoTracking().Where(t => t.Id == tenants[0]).Select(t => t.Name).AsAsyncEnumerable())
        {
            names.Add(name);
            // Same text, while the outer reader is still on its row.
            names.Add(await db.Tenants.AsNoTracking().Where(t => t.Id == tenants[1]).Select(t => t.Name).SingleAsync());
        }

        Assert.Equal(["outer", "inner"], names);
        // Neither reader kept the command from going back: the next run uses it again.
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        var before = SqliteStatementCache.StatisticsFor(connection).Reused;
        Assert.Equal("outer", await db.Tenants.AsNoTracking().Where(t => t.Id == tenants[0]).Select(t => t.Name).SingleAsync());
        Assert.Equal(before + 1, SqliteStatementCache.StatisticsFor(connection).Reused);
    }

    [Fact]
    public async Task Kept_statements_run_inside_a_transaction_and_see_its_writes()
    {
        var tenants = await SeedTenantsAsync("before");
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        Assert.Equal("before", await NameAsync(db, tenants[0]));
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.Tenants.Where(t => t.Id == tenants[0]).ExecuteUpdateAsync(s => s.SetProperty(t => t.Name, "inside"));
            Assert.Equal("inside", await NameAsync(db, tenants[0]));
            await transaction.RollbackAsync();
        }

        Assert.Equal("before", await NameAsync(db, tenants[0]));
    }

    [Fact]
    public async Task A_closed_connection_forgets_its_statements_and_compiles_them_again_when_reopened()
    {
        var tenants = await SeedTenantsAsync("reopened");
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        Assert.Equal("reopened", await NameAsync(db, tenants[0]));
        Assert.NotEqual(0, SqliteStatementCache.StatisticsFor(connection).Kept);

        await connection.CloseAsync();
        Assert.Equal((0, 0), SqliteStatementCache.StatisticsFor(connection));

        // Opened again (as EF would for a query): the statement is compiled for the new native connection, then reused.
        await connection.OpenAsync();
        Assert.Equal("reopened", await NameAsync(db, tenants[0]));
        Assert.Equal("reopened", await NameAsync(db, tenants[0]));
        Assert.Equal((1, 1), SqliteStatementCache.StatisticsFor(connection));
    }

    [Fact]
    public async Task A_select_that_does_not_compile_fails_as_it_would_without_the_cache_and_is_not_kept()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        var before = SqliteStatementCache.StatisticsFor(connection);

        var error = await Assert.ThrowsAsync<SqliteException>(() => db.Database.SqlQueryRaw<int>("SELECT 1 AS Value FROM NoSuchTable").ToListAsync());
        Assert.Contains("no such table", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, SqliteStatementCache.StatisticsFor(connection));

        // The connection serves the next query as before.
        Assert.Equal([1], await db.Database.SqlQueryRaw<int>("SELECT 1 AS Value").ToListAsync());
    }

    private static Task<string?> NameAsync(OmePortalDbContext db, Guid id) =>
        db.Tenants.AsNoTracking().Where(t => t.Id == id).Select(t => t.Name).FirstOrDefaultAsync();

    private async Task<List<Guid>> SeedTenantsAsync(params string[] names)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var tenants = names.Select(name => new Tenant { Id = Guid.NewGuid(), Name = name, Slug = name + "-" + Guid.NewGuid().ToString("N")[..8] }).ToList();
        db.Tenants.AddRange(tenants);
        await db.SaveChangesAsync();
        return [.. tenants.Select(t => t.Id)];
    }
}
