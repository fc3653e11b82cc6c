using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Sqlite.Storage.Internal;
using Microsoft.EntityFrameworkCore.Storage;
using OmePortal.Data;

namespace OmePortal.Web.Storage;

/// <summary>
/// The SQLite connection of a pooled context stays open from one lease to the next: one open per
/// pooled context instead of one per request (each open went through Microsoft.Data.Sqlite's pool lock
/// and registered EF's SQL functions again), and the statements <see cref="SqliteStatementCache"/> keeps
/// for it stay compiled. A context holds one native connection, as Microsoft.Data.Sqlite's own pool kept
/// one for it; the connection is closed when the context is disposed (the pool is full, or the app stops).
/// </summary>
internal static class SqliteConnections
{
    /// <summary>Makes EF leave the connection open when a query ends or the context goes back to the pool.</summary>
    public static DbContextOptionsBuilder KeepConnectionsOpen(this DbContextOptionsBuilder options) =>
#pragma warning disable EF1001 // SqliteRelationalConnection is EF's internal API; its close step is a documented template method.
        options.ReplaceService<ISqliteRelationalConnection, KeptOpenSqliteRelationalConnection>();
#pragma warning restore EF1001

    /// <summary>Opens the connection of a context leased from the pool, unless it is still open from its last lease.</summary>
    public static void KeepOpen(SqliteOmePortalDbContext context)
    {
        var connection = context.Database.GetDbConnection();
        if (connection.State == ConnectionState.Broken)
        {
            connection.Close();
        }

        if (connection.State != ConnectionState.Open)
        {
            context.Database.OpenConnection();
        }
    }

#pragma warning disable EF1001
    /// <summary>
    /// EF closes a context's connection when the query that opened it ends and when the context is reset
    /// for the pool, both through <see cref="RelationalConnection.CloseDbConnection"/>; here that step does
    /// nothing. Disposing still closes it.
    /// </summary>
    private sealed class KeptOpenSqliteRelationalConnection(
        RelationalConnectionDependencies dependencies,
        IRawSqlCommandBuilder rawSqlCommandBuilder,
        IDiagnosticsLogger<DbLoggerCategory.Infrastructure> logger)
        : SqliteRelationalConnection(dependencies, rawSqlCommandBuilder, logger)
    {
        protected override void CloseDbConnection()
        {
        }

        protected override Task CloseDbConnectionAsync() => Task.CompletedTask;
    }
#pragma warning restore EF1001
}
