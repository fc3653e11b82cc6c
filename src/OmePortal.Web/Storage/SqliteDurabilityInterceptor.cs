using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OmePortal.Web.Storage;

/// <summary>
/// Every SQLite connection runs in WAL mode with <c>synchronous=FULL</c>: a commit is on disk when
/// SaveChanges returns, which is what lets intake answer 250/201 right after it. The pragma is per
/// connection, hence an interceptor rather than a one-off command.
/// </summary>
internal sealed class SqliteDurabilityInterceptor : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
