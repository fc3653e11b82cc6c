using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OmePortal.Web.Storage;

/// <summary>
/// Every SQLite connection runs in WAL mode with <c>synchronous=FULL</c>: a commit is on disk when
/// SaveChanges returns, which is what lets intake answer 250/201 right after it. The pragmas belong to
/// the native connection, which the pool hands out again and again: they run once per native
/// connection, not at every logical open (EF opens a connection per query). <c>secure_delete</c>
/// overwrites freed pages, so a shredded message key does not linger in the database file.
/// </summary>
internal sealed class SqliteDurabilityInterceptor : DbConnectionInterceptor
{
    public static readonly SqliteDurabilityInterceptor Instance = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;";

    // Keyed by the native handle object: it lives exactly as long as the native connection.
    private static readonly ConditionalWeakTable<object, object> Prepared = [];

    private SqliteDurabilityInterceptor()
    {
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (NeedsPragmas(connection, out var handle))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
            Prepared.AddOrUpdate(handle, handle);
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (NeedsPragmas(connection, out var handle))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
            Prepared.AddOrUpdate(handle, handle);
        }
    }

    private static bool NeedsPragmas(DbConnection connection, out object handle)
    {
        // Without a native handle to key on (not expected), run them every time: correctness over speed.
        handle = (connection as SqliteConnection)?.Handle ?? new object();
        return !Prepared.TryGetValue(handle, out _);
    }
}
