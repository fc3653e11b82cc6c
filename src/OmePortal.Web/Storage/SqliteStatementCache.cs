using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OmePortal.Web.Storage;

/// <summary>
/// Keeps EF's SQLite queries compiled. EF creates a new command for every execution, and
/// Microsoft.Data.Sqlite keeps a compiled statement only as long as its command: so every page view
/// parsed and planned the same few SELECTs again (about four fifths of SQLite's share of a reading
/// request's CPU, bench/RESULTS.md). Once EF has initialised a command, its text and parameters are moved
/// into a prepared command kept for that text on that connection, which is kept, not disposed, when EF is done with its reader.
/// This pays off because the connection of a pooled context stays open across requests
/// (<see cref="SqliteConnections.KeepOpen"/>); when a connection closes, Microsoft.Data.Sqlite disposes its
/// commands and the set is forgotten with it.
/// </summary>
internal sealed class SqliteStatementCache : DbCommandInterceptor
{
    public static readonly SqliteStatementCache Instance = new();

    /// <summary>Per connection: a handful of compiled queries serve every page; writes and one-off queries stay uncached.</summary>
    public const int MaxStatementsPerConnection = 64;

    private static readonly ConditionalWeakTable<SqliteConnection, ConnectionStatements> Connections = [];

    private SqliteStatementCache()
    {
    }

    public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        if (result is not SqliteCommand fresh
            || fresh.Connection is not { State: ConnectionState.Open } connection
            || !fresh.CommandText.StartsWith("SELECT", StringComparison.Ordinal))
        {
            return result;
        }

        var statements = Connections.GetValue(connection, static c => new ConnectionStatements(c));
        var kept = statements.Lease(fresh.CommandText);
        if (kept is null)
        {
            return result;
        }

        // A kept command comes without parameters (new, or cleared when it was released).
        kept.Transaction = fresh.Transaction;
        kept.CommandTimeout = fresh.CommandTimeout;
        if (fresh.Parameters.Count > 0)
        {
            var parameters = new SqliteParameter[fresh.Parameters.Count];
            fresh.Parameters.CopyTo(parameters, 0);
            fresh.Parameters.Clear();
            kept.Parameters.AddRange(parameters);
        }

        // Never executed, so never compiled: disposing it costs nothing.
        fresh.Dispose();
        return kept;
    }

    /// <summary>
    /// EF disposes a query's reader, then its command, then closes its hold on the connection. For a kept
    /// command this does the same but keeps the command: the reader is disposed (which resets the statement),
    /// the command goes back to its set, and EF's hold on the connection is released as EF would.
    /// </summary>
    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        if (result.IsSuppressed
            || eventData.Context is not { } context
            || command is not SqliteCommand { Connection: { } connection } sqlite
            || !Connections.TryGetValue(connection, out var statements)
            || !statements.IsLeased(sqlite))
        {
            return result;
        }

        try
        {
            eventData.DataReader.Dispose();
        }
        finally
        {
            statements.Release(sqlite);
            context.Database.CloseConnection();
        }

        return InterceptionResult.Suppress();
    }

    /// <summary>For tests and diagnostics: how many commands are kept for <paramref name="connection"/>, and how often one was used again.</summary>
    public static (int Kept, long Reused) StatisticsFor(SqliteConnection connection) =>
        Connections.TryGetValue(connection, out var statements) ? (statements.Count, statements.Reused) : (0, 0);

    /// <summary>
    /// The kept commands of one connection. A connection serves one request at a time (its context is
    /// leased from the pool), so no lock is taken; <see cref="leased"/> covers a query that runs while
    /// another reader of the same text is still open.
    /// </summary>
    private sealed class ConnectionStatements
    {
        private readonly SqliteConnection connection;
        private readonly Dictionary<string, SqliteCommand> byText = new(StringComparer.Ordinal);
        private readonly HashSet<SqliteCommand> leased = new(ReferenceEqualityComparer.Instance);

        public ConnectionStatements(SqliteConnection connection)
        {
            this.connection = connection;
            connection.StateChange += OnStateChange;
        }

        public int Count => byText.Count;

        public long Reused { get; private set; }

        public SqliteCommand? Lease(string commandText)
        {
            if (byText.TryGetValue(commandText, out var kept))
            {
                if (!leased.Add(kept))
                {
                    return null;
                }

                Reused++;
                return kept;
            }

            if (byText.Count >= MaxStatementsPerConnection)
            {
                return null;
            }

            var command = connection.CreateCommand();
            command.CommandText = commandText;
            try
            {
                command.Prepare();
            }
            catch (SqliteException)
            {
                // Not compilable (a missing table, a syntax error): EF runs its own command and reports the error as usual.
                command.Dispose();
                return null;
            }

            command.Disposed += OnDisposed;
            byText.Add(commandText, command);
            leased.Add(command);
            return command;
        }

        public bool IsLeased(SqliteCommand command) => leased.Contains(command);

        public void Release(SqliteCommand command)
        {
            if (leased.Remove(command))
            {
                // The parameter objects go; the values bound last stay in the native statement (in memory) until its next use.
                command.Parameters.Clear();
            }
        }

        /// <summary>Disposed by someone else (EF after a scalar execution, or the connection closing): forgotten.</summary>
        private void OnDisposed(object? sender, EventArgs e)
        {
            if (sender is SqliteCommand command && byText.TryGetValue(command.CommandText, out var kept) && ReferenceEquals(kept, command))
            {
                byText.Remove(command.CommandText);
                leased.Remove(command);
            }
        }

        private void OnStateChange(object sender, StateChangeEventArgs e)
        {
            if (e.CurrentState != ConnectionState.Open)
            {
                // Closing disposed the commands (Microsoft.Data.Sqlite does that for a connection's commands).
                connection.StateChange -= OnStateChange;
                Connections.Remove(connection);
            }
        }
    }
}
