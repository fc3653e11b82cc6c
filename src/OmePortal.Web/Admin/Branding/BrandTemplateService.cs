using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin.Branding;

/// <summary>One template in the admin's list.</summary>
public sealed record BrandTemplateSummary(Guid Id, string Name, bool IsDefault, DateTimeOffset UpdatedAt, bool HasLogo, int MessageCount);

/// <summary>A stored template: the brand (with its logo) and what the list shows.</summary>
public sealed record StoredBrandTemplate(Guid Id, bool IsDefault, DateTimeOffset UpdatedAt, BrandTemplate Brand);

/// <summary>What to do with the logo when a template is saved.</summary>
public abstract record LogoChange
{
    private LogoChange()
    {
    }

    public sealed record Keep : LogoChange;

    public sealed record Remove : LogoChange;

    /// <summary>A logo that came out of <see cref="LogoProcessor"/>.</summary>
    public sealed record Replace(BrandLogo Logo) : LogoChange;
}

/// <summary>The outcome of creating, changing or removing a template.</summary>
public abstract record BrandTemplateChange
{
    private BrandTemplateChange()
    {
    }

    public sealed record Saved(Guid Id) : BrandTemplateChange;

    public sealed record Removed(int MessagesMoved) : BrandTemplateChange;

    /// <summary>No template with that id in the admin's tenant (also the answer for another tenant's id).</summary>
    public sealed record NotFound : BrandTemplateChange;

    public sealed record Invalid(IReadOnlyList<BrandValidationError> Errors) : BrandTemplateChange;

    public sealed record NameTaken : BrandTemplateChange;

    public sealed record DefaultCannotBeRemoved : BrandTemplateChange;

    /// <summary>A mail-flow rule still encrypts with this template.</summary>
    public sealed record InUseByRules : BrandTemplateChange;
}

/// <summary>
/// Tells whether something other than messages (a mail-flow rule) still names a template, so removing it
/// would leave that thing pointing nowhere. The rules feature registers one; none registered = nothing refers.
/// </summary>
public interface IBrandTemplateReferences
{
    Task<bool> IsReferencedAsync(Guid tenantId, Guid templateId, CancellationToken cancellationToken);
}

/// <summary>
/// Lists, creates, changes and removes a tenant's branding templates. Every query reads the rows of the
/// tenant passed in (the admin's <see cref="AdminScope.TenantId"/>, through <see cref="TenantDataExtensions.ForTenant"/>):
/// another tenant's id is "not found".
/// Every change is audited (<see cref="AuditEventKind.TemplateChanged"/>) in the same SaveChanges.
/// </summary>
/// <remarks>
/// Removing a template that messages were sent with moves those messages to the tenant's default
/// template: a message stores only its template id, and the link page and later notifications
/// (passcodes) need a brand, so old messages stay readable and from then on show the default brand.
/// A template a rule still uses cannot be removed (the rule would silently fall back).
/// </remarks>
public sealed class BrandTemplateService(
    OmePortalDbContext db,
    AuditLog audit,
    TimeProvider time,
    IEnumerable<IBrandTemplateReferences> references)
{
    public async Task<IReadOnlyList<BrandTemplateSummary>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var tenant = db.ForTenant(tenantId);
        var messages = tenant.Messages;
        var rows = await tenant.BrandTemplates.AsNoTracking()
            .Select(t => new
            {
                t.Id,
                t.Name,
                t.IsDefault,
                t.UpdatedAt,
                HasLogo = t.Logo != null,
                Messages = messages.Count(m => m.TemplateId == t.Id),
            })
            .ToListAsync(cancellationToken);
        return rows
            .OrderByDescending(r => r.IsDefault)
            .ThenBy(r => r.Name, StringComparer.CurrentCultureIgnoreCase)
            .Select(r => new BrandTemplateSummary(r.Id, r.Name, r.IsDefault, r.UpdatedAt, r.HasLogo, r.Messages))
            .ToList();
    }

    /// <summary>The template, or null when there is none with that id in <paramref name="tenantId"/>.</summary>
    public async Task<StoredBrandTemplate?> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        var record = await db.ForTenant(tenantId).BrandTemplates.AsNoTracking()
            .SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        return record is null ? null : ToStored(record);
    }

    public async Task<BrandTemplateChange> CreateAsync(Guid tenantId, string actor, BrandTemplate brand, BrandLogo? logo, CancellationToken cancellationToken)
    {
        brand = brand with { Logo = logo };
        if (BrandValidator.Validate(brand) is { Count: > 0 } errors)
        {
            return new BrandTemplateChange.Invalid(errors);
        }

        if (await NameTakenAsync(tenantId, brand.Name, exceptId: null, cancellationToken))
        {
            return new BrandTemplateChange.NameTaken();
        }

        var now = time.GetUtcNow();
        var record = new BrandTemplateRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = brand.Name,
            IsDefault = false,
            Json = BrandSerializer.ToJson(brand),
            Logo = brand.Logo?.Content,
            LogoContentType = brand.Logo?.ContentType,
            UpdatedAt = now,
        };
        db.BrandTemplates.Add(record);
        audit.Add(tenantId, AuditEventKind.TemplateChanged, actor, detail: $"created {record.Id:D} '{brand.Name}'");
        return await SaveAsync(new BrandTemplateChange.Saved(record.Id), cancellationToken);
    }

    /// <summary>Replaces every field of the template (a rename is a change of <see cref="BrandTemplate.Name"/>).</summary>
    public async Task<BrandTemplateChange> UpdateAsync(Guid tenantId, string actor, Guid id, BrandTemplate brand, LogoChange logoChange, CancellationToken cancellationToken)
    {
        var record = await db.ForTenant(tenantId).BrandTemplates.SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (record is null)
        {
            return new BrandTemplateChange.NotFound();
        }

        var logo = logoChange switch
        {
            LogoChange.Replace replace => replace.Logo,
            LogoChange.Remove => null,
            _ => StoredLogo(record),
        };
        brand = brand with { Logo = logo };
        if (BrandValidator.Validate(brand) is { Count: > 0 } errors)
        {
            return new BrandTemplateChange.Invalid(errors);
        }

        if (await NameTakenAsync(tenantId, brand.Name, exceptId: id, cancellationToken))
        {
            return new BrandTemplateChange.NameTaken();
        }

        var oldName = record.Name;
        record.Name = brand.Name;
        record.Json = BrandSerializer.ToJson(brand);
        record.Logo = logo?.Content;
        record.LogoContentType = logo?.ContentType;
        record.UpdatedAt = time.GetUtcNow();
        var detail = string.Equals(oldName, brand.Name, StringComparison.Ordinal)
            ? $"changed {id:D} '{brand.Name}'"
            : $"changed {id:D} '{oldName}' renamed '{brand.Name}'";
        audit.Add(tenantId, AuditEventKind.TemplateChanged, actor, detail: detail);
        return await SaveAsync(new BrandTemplateChange.Saved(id), cancellationToken);
    }

    public async Task<BrandTemplateChange> RemoveAsync(Guid tenantId, string actor, Guid id, CancellationToken cancellationToken)
    {
        var tenant = db.ForTenant(tenantId);
        var record = await tenant.BrandTemplates.SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (record is null)
        {
            return new BrandTemplateChange.NotFound();
        }

        if (record.IsDefault)
        {
            return new BrandTemplateChange.DefaultCannotBeRemoved();
        }

        foreach (var reference in references)
        {
            if (await reference.IsReferencedAsync(tenantId, id, cancellationToken))
            {
                return new BrandTemplateChange.InUseByRules();
            }
        }

        var defaultId = await tenant.BrandTemplates.Where(t => t.IsDefault)
            .Select(t => t.Id).SingleAsync(cancellationToken);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var moved = await tenant.Messages
            .Where(m => m.TemplateId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.TemplateId, defaultId), cancellationToken);
        db.BrandTemplates.Remove(record);
        audit.Add(tenantId, AuditEventKind.TemplateChanged, actor, detail: $"removed {id:D} '{record.Name}', {moved} messages moved to the default");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new BrandTemplateChange.Removed(moved);
    }

    /// <summary>The stored logo of a template of <paramref name="tenantId"/>, or null.</summary>
    public async Task<BrandLogo?> LogoAsync(Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        var row = await db.ForTenant(tenantId).BrandTemplates.AsNoTracking()
            .Where(t => t.Id == id)
            .Select(t => new { t.Logo, t.LogoContentType })
            .SingleOrDefaultAsync(cancellationToken);
        return row?.Logo is { } bytes && row.LogoContentType is { } type ? new BrandLogo(bytes, type) : null;
    }

    internal static StoredBrandTemplate ToStored(BrandTemplateRecord record) =>
        new(record.Id, record.IsDefault, record.UpdatedAt, BrandSerializer.FromJson(record.Json, StoredLogo(record)) with { Name = record.Name });

    private static BrandLogo? StoredLogo(BrandTemplateRecord record) =>
        record.Logo is { } bytes && record.LogoContentType is { } type ? new BrandLogo(bytes, type) : null;

    private Task<bool> NameTakenAsync(Guid tenantId, string name, Guid? exceptId, CancellationToken cancellationToken)
    {
        // Names differing only in case would confuse an admin choosing one in a rule; refuse them too.
        var lowered = name.ToLowerInvariant();
        return db.ForTenant(tenantId).BrandTemplates.AnyAsync(
            t => t.Id != exceptId && t.Name.ToLower() == lowered, cancellationToken);
    }

    private async Task<BrandTemplateChange> SaveAsync(BrandTemplateChange success, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return success;
        }
        catch (DbUpdateException)
        {
            // The unique (tenant, name) index: another admin saved the same name between the check and now.
            db.ChangeTracker.Clear();
            return new BrandTemplateChange.NameTaken();
        }
    }
}
