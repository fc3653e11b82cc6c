using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OmePortal.Web.Telemetry;

/// <summary>Records every database command's duration (EF measures it already) on the portal's meter; nothing of the command itself.</summary>
internal sealed class DatabaseTiming(PortalMetrics metrics) : DbCommandInterceptor
{
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        metrics.DatabaseCommand("query", eventData.Duration, failed: false);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        metrics.DatabaseCommand("query", eventData.Duration, failed: false);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        metrics.DatabaseCommand("command", eventData.Duration, failed: false);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        metrics.DatabaseCommand("command", eventData.Duration, failed: false);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        metrics.DatabaseCommand("scalar", eventData.Duration, failed: false);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        metrics.DatabaseCommand("scalar", eventData.Duration, failed: false);
        return ValueTask.FromResult(result);
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) =>
        metrics.DatabaseCommand(Operation(eventData.ExecuteMethod), eventData.Duration, failed: true);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        metrics.DatabaseCommand(Operation(eventData.ExecuteMethod), eventData.Duration, failed: true);
        return Task.CompletedTask;
    }

    private static string Operation(DbCommandMethod method) => method switch
    {
        DbCommandMethod.ExecuteReader => "query",
        DbCommandMethod.ExecuteScalar => "scalar",
        _ => "command",
    };
}
