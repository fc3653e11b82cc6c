using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Storage;

/// <summary>
/// The reading path's compiled queries run in a process that holds an SQLite and a PostgreSQL model at
/// once (the tests do; so could a migration tool). EF binds a compiled query to the first model it ran
/// with; <see cref="CompiledPerModel{TQuery}"/> keeps one per model.
/// </summary>
public sealed class CompiledPerModelTests : IAsyncLifetime
{
    private PortalHost _sqlite = null!;
    private PortalHost _postgres = null!;

    public async Task InitializeAsync()
    {
        _sqlite = await new PortalHost(StorageKind.Sqlite).StartAsync();
        _postgres = await new PortalHost(StorageKind.Postgres).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task One_holder_answers_for_each_providers_own_database_in_turn()
    {
        var tenantIds = new CompiledPerModel<Func<OmePortalDbContext, IAsyncEnumerable<Guid>>>(
            static () => EF.CompileAsyncQuery((OmePortalDbContext db) => db.Tenants.OrderBy(t => t.Id).Select(t => t.Id)));

        // Alternating hosts: a single compiled query would fail on the second call already.
        foreach (var host in new[] { _sqlite, _postgres, _sqlite, _postgres })
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var expected = await db.Tenants.OrderBy(t => t.Id).Select(t => t.Id).ToListAsync();
            Assert.NotEmpty(expected);

            var compiled = new List<Guid>();
            await foreach (var id in tenantIds.For(db)(db))
            {
                compiled.Add(id);
            }

            Assert.Equal(expected, compiled);
        }

        await using var sqliteScope = _sqlite.Services.CreateAsyncScope();
        await using var postgresScope = _postgres.Services.CreateAsyncScope();
        var sqliteDb = sqliteScope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var postgresDb = postgresScope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        Assert.NotSame(tenantIds.For(sqliteDb), tenantIds.For(postgresDb));
        Assert.Same(tenantIds.For(sqliteDb), tenantIds.For(sqliteDb));
    }

    [Fact]
    public async Task A_plain_compiled_query_refuses_the_second_model_which_is_why_the_holder_exists()
    {
        var shared = EF.CompileAsyncQuery((OmePortalDbContext db, CancellationToken _) => db.Tenants.Count());
        await using var sqliteScope = _sqlite.Services.CreateAsyncScope();
        await using var postgresScope = _postgres.Services.CreateAsyncScope();
        var sqliteDb = sqliteScope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var postgresDb = postgresScope.ServiceProvider.GetRequiredService<OmePortalDbContext>();

        Assert.True(await shared(sqliteDb, CancellationToken.None) > 0);
        await Assert.ThrowsAsync<InvalidOperationException>(() => shared(postgresDb, CancellationToken.None));
    }
}
