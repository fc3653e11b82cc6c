using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Rules;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Rules;

/// <summary>A stored rule: loaded (<see cref="Rule"/>) or broken (<see cref="Error"/>, its JSON did not validate).</summary>
public sealed record StoredRule(MailFlowRuleRecord Record, MailFlowRule? Rule, string? Error);

/// <summary>The outcome of saving a rule: saved, or the validation problems.</summary>
public abstract record RuleSaveResult
{
    private RuleSaveResult() { }

    public sealed record Saved(Guid Id) : RuleSaveResult;

    public sealed record Invalid(IReadOnlyList<RuleError> Errors) : RuleSaveResult;

    public sealed record NotFound : RuleSaveResult;
}

/// <summary>
/// Mail-flow rules and the tenant's own domains in the database. Every method takes the tenant id and
/// reads that tenant's rows only (<see cref="TenantDataExtensions.ForTenant"/>), so an id of another
/// tenant's rule is simply not found. The admin pages and intake (through <see cref="MailFlowRules"/>) share it. Changes are audited
/// (<see cref="AuditEventKind.RuleChanged"/>, detail "created|updated|deleted|enabled|disabled|moved|domains: name").
/// </summary>
public sealed class RuleStore(OmePortalDbContext db, AuditLog audit, TimeProvider time, ILogger<RuleStore> logger)
{
    public const int PriorityStep = 10;

    public async Task<IReadOnlyList<StoredRule>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var records = await db.ForTenant(tenantId).Rules.AsNoTracking().ToListAsync(cancellationToken);
        return [.. records.Select(r => Load(r)).OrderBy(r => r.Record.Priority).ThenBy(r => r.Record.Name, StringComparer.Ordinal).ThenBy(r => r.Record.Id)];
    }

    public async Task<StoredRule?> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        var record = await db.ForTenant(tenantId).Rules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return record is null ? null : Load(record);
    }

    public async Task<IReadOnlyList<string>> DomainsAsync(Guid tenantId, CancellationToken cancellationToken) =>
        await db.ForTenant(tenantId).Domains.AsNoTracking().OrderBy(d => d.Domain).Select(d => d.Domain).ToListAsync(cancellationToken);

    /// <summary>Replaces the tenant's domains. Returns false when one of them is not a domain name.</summary>
    public async Task<bool> SetDomainsAsync(Guid tenantId, IEnumerable<string> domains, string actor, CancellationToken cancellationToken)
    {
        var wanted = domains.Where(d => !string.IsNullOrWhiteSpace(d)).Select(Domains.Normalize).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count > RuleValidator.MaxEntries || wanted.Any(d => !RuleValidator.IsDomain(d)))
        {
            return false;
        }

        var existing = await db.ForTenant(tenantId).Domains.ToListAsync(cancellationToken);
        db.TenantDomains.RemoveRange(existing.Where(e => !wanted.Contains(e.Domain)));
        db.TenantDomains.AddRange(wanted.Where(w => existing.All(e => e.Domain != w)).Select(w => new TenantDomainRecord { TenantId = tenantId, Domain = w }));
        audit.Add(tenantId, AuditEventKind.RuleChanged, actor, detail: "domains: " + string.Join(",", wanted));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Creates (<paramref name="id"/> null, placed last) or updates a rule.</summary>
    public async Task<RuleSaveResult> SaveAsync(Guid tenantId, Guid? id, string name, RuleConditions conditions, RuleAction action, bool stopProcessing, bool enabled, string actor, CancellationToken cancellationToken)
    {
        name = name.Trim();
        var errors = (await ValidateAsync(tenantId, id, name, conditions, action, cancellationToken)).ToList();
        if (errors.Count > 0)
        {
            return new RuleSaveResult.Invalid(errors);
        }

        MailFlowRuleRecord record;
        if (id is { } existingId)
        {
            var found = await db.ForTenant(tenantId).Rules.SingleOrDefaultAsync(r => r.Id == existingId, cancellationToken);
            if (found is null)
            {
                return new RuleSaveResult.NotFound();
            }

            record = found;
        }
        else
        {
            var last = await db.ForTenant(tenantId).Rules.MaxAsync(r => (int?)r.Priority, cancellationToken);
            record = new MailFlowRuleRecord
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                TenantId = tenantId,
                Name = name,
                Priority = (last ?? 0) + PriorityStep,
                ConditionsJson = string.Empty,
                ActionJson = string.Empty,
            };
            db.MailFlowRules.Add(record);
        }

        record.Name = name;
        record.Enabled = enabled;
        record.StopProcessing = stopProcessing;
        record.ConditionsJson = RuleSerializer.ToJson(conditions);
        record.ActionJson = RuleSerializer.ToJson(action);
        record.UpdatedAt = time.GetUtcNow();
        audit.Add(tenantId, AuditEventKind.RuleChanged, actor, detail: (id is null ? "created: " : "updated: ") + name);
        await db.SaveChangesAsync(cancellationToken);
        return new RuleSaveResult.Saved(record.Id);
    }

    /// <summary>The problems of a rule before it is saved: its own limits, a taken name, a template of another tenant.</summary>
    public async Task<IReadOnlyList<RuleError>> ValidateAsync(Guid tenantId, Guid? id, string name, RuleConditions conditions, RuleAction action, CancellationToken cancellationToken)
    {
        var tenant = db.ForTenant(tenantId);
        var errors = RuleValidator.Validate(name, conditions, action).ToList();
        var trimmed = name.Trim();
        if (errors.All(e => e.Field != "Name")
            && await tenant.Rules.AnyAsync(r => r.Name == trimmed && r.Id != id, cancellationToken))
        {
            errors.Add(new RuleError("Name", RuleErrorKind.Invalid));
        }

        if (action.TemplateId is { } templateId
            && !await tenant.BrandTemplates.AnyAsync(t => t.Id == templateId, cancellationToken))
        {
            errors.Add(new RuleError("Template", RuleErrorKind.Invalid));
        }

        return errors;
    }

    public async Task<bool> DeleteAsync(Guid tenantId, Guid id, string actor, CancellationToken cancellationToken)
    {
        var record = await db.ForTenant(tenantId).Rules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return false;
        }

        db.MailFlowRules.Remove(record);
        audit.Add(tenantId, AuditEventKind.RuleChanged, actor, detail: "deleted: " + record.Name);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async Task<bool> SetEnabledAsync(Guid tenantId, Guid id, bool enabled, string actor, CancellationToken cancellationToken)
    {
        var record = await db.ForTenant(tenantId).Rules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return false;
        }

        record.Enabled = enabled;
        record.UpdatedAt = time.GetUtcNow();
        audit.Add(tenantId, AuditEventKind.RuleChanged, actor, detail: (enabled ? "enabled: " : "disabled: ") + record.Name);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Moves a rule one place up (earlier) or down, renumbering the tenant's rules in steps of <see cref="PriorityStep"/>.</summary>
    public async Task<bool> MoveAsync(Guid tenantId, Guid id, bool up, string actor, CancellationToken cancellationToken)
    {
        var records = (await db.ForTenant(tenantId).Rules.ToListAsync(cancellationToken))
            .OrderBy(r => r.Priority).ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Id).ToList();
        var index = records.FindIndex(r => r.Id == id);
        if (index < 0)
        {
            return false;
        }

        var other = up ? index - 1 : index + 1;
        if (other >= 0 && other < records.Count)
        {
            (records[index], records[other]) = (records[other], records[index]);
        }

        for (var i = 0; i < records.Count; i++)
        {
            records[i].Priority = (i + 1) * PriorityStep;
        }

        audit.Add(tenantId, AuditEventKind.RuleChanged, actor, detail: (up ? "moved up: " : "moved down: ") + records[other >= 0 && other < records.Count ? other : index].Name);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private StoredRule Load(MailFlowRuleRecord record)
    {
        try
        {
            var rule = new MailFlowRule(
                record.Id,
                record.Name,
                record.Priority,
                record.Enabled,
                RuleSerializer.ConditionsFromJson(record.ConditionsJson),
                RuleSerializer.ActionFromJson(record.ActionJson),
                record.StopProcessing);
            return new StoredRule(record, rule, null);
        }
        catch (RuleFormatException ex)
        {
            RulesLog.BrokenRule(logger, record.Id, record.TenantId, ex);
            return new StoredRule(record, null, ex.Message);
        }
    }
}
