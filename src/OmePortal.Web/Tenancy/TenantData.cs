using OmePortal.Data;

namespace OmePortal.Web.Tenancy;

/// <summary>
/// The rows one tenant owns: each tenant-owned set of the portal, already narrowed to <see cref="TenantId"/>.
/// The admin area (and the rule store it shares with intake) reaches tenant data only through this, as
/// <see cref="OmePortal.Web.Admin.AdminScope.Data"/> for the tenant the admin acts for or <see cref="TenantDataExtensions.ForTenant"/>
/// for a tenant named explicitly, so no admin query writes its own tenant filter and an id from a URL or
/// a form that belongs to another tenant finds nothing (the page answers 404).
/// </summary>
/// <remarks>
/// Why an explicit object and not an EF Core global query filter (docs/ARCHITECTURE.md, "Tenant scoping"):
/// the same <see cref="OmePortalDbContext"/> also serves paths that must see every tenant. The recipient
/// path finds its row by token hash and shows one inbox over all tenants' messages to an address;
/// the notification dispatcher, expiry sweeper, shredder and re-wrap job work over all tenants; intake
/// learns its tenant from the API key after the context exists; the system admin lists every tenant.
/// A filter bound to an ambient tenant would have to be switched off on each of those paths
/// (<c>IgnoreQueryFilters</c>, one forgotten call and a sweep silently skips other tenants' rows) or
/// switch itself off when no tenant is set, which fails open exactly when the scope was not filled.
/// Here the tenant is named where the query is written, the unscoped context stays what the other
/// paths expect, and a page whose scope is not filled throws (<see cref="OmePortal.Web.Admin.AdminScope.Data"/>) instead
/// of reading unfiltered.
/// </remarks>
public sealed class TenantData
{
    private readonly OmePortalDbContext _db;

    internal TenantData(OmePortalDbContext db, Guid tenantId)
    {
        _db = db;
        TenantId = tenantId;
    }

    public Guid TenantId { get; }

    /// <summary>The tenant's own row.</summary>
    public IQueryable<Tenant> Tenant
    {
        get
        {
            var tenantId = TenantId;
            return _db.Tenants.Where(t => t.Id == tenantId);
        }
    }

    public IQueryable<MessageRecord> Messages
    {
        get
        {
            var tenantId = TenantId;
            return _db.Messages.Where(m => m.TenantId == tenantId);
        }
    }

    /// <summary>
    /// Recipients whose own row and whose message both belong to the tenant: the message is the row every
    /// other check keys on, so a recipient row that disagreed with it would not leak through.
    /// </summary>
    public IQueryable<RecipientRecord> Recipients
    {
        get
        {
            var tenantId = TenantId;
            var messages = Messages;
            return _db.Recipients.Where(r => r.TenantId == tenantId && messages.Any(m => m.Id == r.MessageId));
        }
    }

    /// <summary>Queued and sent notification and passcode mails of the tenant.</summary>
    public IQueryable<OutboundMailRecord> OutboundMails
    {
        get
        {
            var tenantId = TenantId;
            return _db.OutboundMails.Where(o => o.TenantId == tenantId);
        }
    }

    public IQueryable<BrandTemplateRecord> BrandTemplates
    {
        get
        {
            var tenantId = TenantId;
            return _db.BrandTemplates.Where(t => t.TenantId == tenantId);
        }
    }

    public IQueryable<MailFlowRuleRecord> Rules
    {
        get
        {
            var tenantId = TenantId;
            return _db.MailFlowRules.Where(r => r.TenantId == tenantId);
        }
    }

    /// <summary>The domains the tenant calls its own (for "recipient is external" in rules).</summary>
    public IQueryable<TenantDomainRecord> Domains
    {
        get
        {
            var tenantId = TenantId;
            return _db.TenantDomains.Where(d => d.TenantId == tenantId);
        }
    }

    public IQueryable<ApiKeyRecord> ApiKeys
    {
        get
        {
            var tenantId = TenantId;
            return _db.ApiKeys.Where(k => k.TenantId == tenantId);
        }
    }

    /// <summary>The tenant key versions (wrapped by the master key).</summary>
    public IQueryable<TenantKeyRecord> TenantKeys
    {
        get
        {
            var tenantId = TenantId;
            return _db.TenantKeys.Where(k => k.TenantId == tenantId);
        }
    }

    public IQueryable<AuditEvent> AuditEvents
    {
        get
        {
            var tenantId = TenantId;
            return _db.AuditEvents.Where(e => e.TenantId == tenantId);
        }
    }

    /// <summary>The recipient key directory: certificates and OpenPGP keys bound to addresses.</summary>
    public IQueryable<RecipientKeyRecord> RecipientKeys
    {
        get
        {
            var tenantId = TenantId;
            return _db.RecipientKeys.Where(k => k.TenantId == tenantId);
        }
    }

    public IQueryable<RecipientTrustAnchorRecord> RecipientTrustAnchors
    {
        get
        {
            var tenantId = TenantId;
            return _db.RecipientTrustAnchors.Where(a => a.TenantId == tenantId);
        }
    }

    public IQueryable<RecipientKeySettingsRecord> RecipientKeySettings
    {
        get
        {
            var tenantId = TenantId;
            return _db.RecipientKeySettings.Where(s => s.TenantId == tenantId);
        }
    }

    public IQueryable<SigningIdentityRecord> SigningIdentities
    {
        get
        {
            var tenantId = TenantId;
            return _db.SigningIdentities.Where(i => i.TenantId == tenantId);
        }
    }

    /// <summary>The tenant's own admins (never a system admin, who belongs to no tenant).</summary>
    public IQueryable<AdminUser> Admins
    {
        get
        {
            var tenantId = TenantId;
            return _db.Users.Where(u => u.TenantId == tenantId);
        }
    }
}

public static class TenantDataExtensions
{
    /// <summary>
    /// The rows of <paramref name="tenantId"/>, on this context (tracked, so changes are saved with its
    /// <c>SaveChanges</c>). Admin pages use <see cref="OmePortal.Web.Admin.AdminScope.Data"/>; this is for code that is handed
    /// a tenant id: the system admin's tenant pages, services called with the scope's tenant, intake's rule lookups.
    /// </summary>
    public static TenantData ForTenant(this OmePortalDbContext db, Guid tenantId) => new(db, tenantId);
}
