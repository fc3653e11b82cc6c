using OmePortal.Data;

namespace OmePortal.Web.Audit;

/// <summary>
/// Appends to the audit log. <see cref="Add"/> joins the caller's unit of work, so an event is stored
/// exactly when what it describes is (same SaveChanges, same transaction); <see cref="RecordAsync"/>
/// is for events that stand alone (a failed sign-in, a view).
/// </summary>
public sealed class AuditLog(OmePortalDbContext db, TimeProvider time)
{
    public const string SystemActor = "system";

    public void Add(Guid tenantId, AuditEventKind kind, string actor, Guid? messageId = null, Guid? recipientId = null, string? detail = null) =>
        db.AuditEvents.Add(new AuditEvent
        {
            TenantId = tenantId,
            At = time.GetUtcNow(),
            Kind = kind,
            Actor = Truncate(actor, 320),
            MessageId = messageId,
            RecipientId = recipientId,
            Detail = detail is null ? null : Truncate(detail, 500),
        });

    public async Task RecordAsync(Guid tenantId, AuditEventKind kind, string actor, Guid? messageId = null, Guid? recipientId = null, string? detail = null, CancellationToken cancellationToken = default)
    {
        Add(tenantId, kind, actor, messageId, recipientId, detail);
        await db.SaveChangesAsync(cancellationToken);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
