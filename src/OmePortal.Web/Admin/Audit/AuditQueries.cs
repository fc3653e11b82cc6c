using System.Globalization;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin.Audit;

/// <summary>What the audit log page filters by. Dates are UTC days, both ends included.</summary>
public sealed record AuditFilter(AuditEventKind? Kind = null, string? Actor = null, Guid? MessageId = null, DateOnly? From = null, DateOnly? To = null);

public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, int Page, int PageCount, int Total);

/// <summary>
/// Reads the audit log of one tenant: every query starts from that tenant's events
/// (<see cref="TenantDataExtensions.ForTenant"/>), so an admin's filter (a message id, an actor) can never reach another tenant's events. Read-only:
/// nothing in the portal changes or removes an event (<see cref="AppendOnlyAuditGuard"/>).
/// </summary>
public sealed class AuditQueries(OmePortalDbContext db)
{
    public const int PageSize = 50;

    public static readonly string[] CsvColumns = ["id", "at_utc", "kind", "actor", "message_id", "recipient_id", "detail"];

    public async Task<AuditPage> SearchAsync(Guid tenantId, AuditFilter filter, int page, CancellationToken cancellationToken)
    {
        var query = Query(tenantId, filter);
        var total = await query.CountAsync(cancellationToken);
        var pageCount = Math.Max(1, (total + PageSize - 1) / PageSize);
        page = Math.Clamp(page, 1, pageCount);
        var events = await Newest(query).Skip((page - 1) * PageSize).Take(PageSize).ToListAsync(cancellationToken);
        return new AuditPage(events, page, pageCount, total);
    }

    /// <summary>Writes every matching event as CSV, newest first, row by row as the database yields them (never the whole log in memory).</summary>
    public async Task WriteCsvAsync(Guid tenantId, AuditFilter filter, TextWriter writer, CancellationToken cancellationToken)
    {
        await writer.WriteAsync(Csv.Row(CsvColumns));
        var written = 0;
        await foreach (var e in Newest(Query(tenantId, filter)).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            await writer.WriteAsync(Csv.Row(
                e.Id.ToString(CultureInfo.InvariantCulture),
                e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                e.Kind.ToString(),
                e.Actor,
                e.MessageId?.ToString(),
                e.RecipientId?.ToString(),
                e.Detail));
            if (++written % 500 == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
    }

    public IQueryable<AuditEvent> Query(Guid tenantId, AuditFilter filter)
    {
        var query = db.ForTenant(tenantId).AuditEvents.AsNoTracking();
        if (filter.Kind is { } kind)
        {
            query = query.Where(e => e.Kind == kind);
        }

        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim().ToLowerInvariant();
            query = query.Where(e => e.Actor.ToLower().Contains(actor));
        }

        if (filter.MessageId is { } messageId)
        {
            query = query.Where(e => e.MessageId == messageId);
        }

        if (filter.From is { } from)
        {
            var start = StartOfDay(from);
            query = query.Where(e => e.At >= start);
        }

        if (filter.To is { } to)
        {
            var end = StartOfDay(to.AddDays(1));
            query = query.Where(e => e.At < end);
        }

        return query;
    }

    public static DateTimeOffset StartOfDay(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static IOrderedQueryable<AuditEvent> Newest(IQueryable<AuditEvent> query) =>
        query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id);
}
