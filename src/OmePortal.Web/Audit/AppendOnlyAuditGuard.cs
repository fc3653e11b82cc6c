using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using OmePortal.Data;

namespace OmePortal.Web.Audit;

/// <summary>Thrown when anything in the portal tries to change or remove an audit event.</summary>
public sealed class AuditLogIsAppendOnlyException(string message) : InvalidOperationException(message);

/// <summary>
/// Keeps the audit log append-only inside the portal. Two interceptors, because EF Core has two ways
/// to write: tracked entities through SaveChanges (refused before any SQL is sent) and set-based
/// ExecuteUpdate/ExecuteDelete or raw SQL, which never pass SaveChanges (refused by the command text).
/// </summary>
public static partial class AppendOnlyAuditGuard
{
    public static readonly IInterceptor[] Interceptors = [new TrackedChanges(), new Commands()];

    private const string TableName = "\"AuditEvents\"";

    /// <summary>True for SQL that would change or remove rows of the audit table.</summary>
    public static bool Rewrites(string commandText) =>
        commandText.Contains(TableName, StringComparison.Ordinal) && UpdateOrDelete().IsMatch(commandText);

    [GeneratedRegex(@"\b(?:UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|(?:INSERT\s+OR\s+)?REPLACE\s+INTO)\s+""AuditEvents""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UpdateOrDelete();

    private sealed class TrackedChanges : SaveChangesInterceptor
    {
        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            Check(eventData.Context);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Check(eventData.Context);
            return ValueTask.FromResult(result);
        }

        private static void Check(DbContext? context)
        {
            if (context is null)
            {
                return;
            }

            foreach (var entry in context.ChangeTracker.Entries<AuditEvent>())
            {
                if (entry.State is EntityState.Modified or EntityState.Deleted)
                {
                    throw new AuditLogIsAppendOnlyException($"Audit event {entry.Entity.Id} cannot be {(entry.State == EntityState.Deleted ? "deleted" : "changed")}: the audit log is append-only.");
                }
            }
        }
    }

    private sealed class Commands : DbCommandInterceptor
    {
        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Check(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Check(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Check(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Check(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        {
            Check(command);
            return result;
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Check(command);
            return ValueTask.FromResult(result);
        }

        private static void Check(DbCommand command)
        {
            if (Rewrites(command.CommandText))
            {
                throw new AuditLogIsAppendOnlyException("The statement would change or remove audit events: the audit log is append-only.");
            }
        }
    }
}
