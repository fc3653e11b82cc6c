using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Storage;

/// <summary>
/// The pragmas that make an SQLite commit durable run once per native connection; these tests prove
/// every connection EF hands out, fresh or from the pool, still has them.
/// </summary>
public sealed class SqliteDurabilityTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(StorageKind.Sqlite).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Every_connection_is_durable_in_wal_mode_with_foreign_keys_whether_fresh_or_pooled()
    {
        for (var round = 0; round < 3; round++)
        {
            // Several scopes at once force more than one native connection; later rounds reuse pooled ones.
            var scopes = Enumerable.Range(0, 4).Select(_ => _host.Services.CreateAsyncScope()).ToList();
            try
            {
                var connections = new List<System.Data.Common.DbConnection>();
                foreach (var scope in scopes)
                {
                    var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
                    await db.Database.OpenConnectionAsync();
                    connections.Add(db.Database.GetDbConnection());
                }

                foreach (var connection in connections)
                {
                    Assert.Equal("wal", await PragmaAsync(connection, "journal_mode"));
                    Assert.Equal("2", await PragmaAsync(connection, "synchronous")); // FULL
                    Assert.Equal("1", await PragmaAsync(connection, "foreign_keys"));
                    Assert.Equal("30000", await PragmaAsync(connection, "busy_timeout"));
                    Assert.Equal("1", await PragmaAsync(connection, "secure_delete"));
                }
            }
            finally
            {
                foreach (var scope in scopes)
                {
                    await scope.DisposeAsync();
                }
            }
        }
    }

    private static async Task<string?> PragmaAsync(System.Data.Common.DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
