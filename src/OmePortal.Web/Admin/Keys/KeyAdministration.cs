using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Admin.Keys;

/// <summary>One tenant key version as the keys page shows it; <see cref="Messages"/> counts live message keys wrapped by it.</summary>
public sealed record KeyVersionRow(int Version, bool IsActive, bool Retired, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, int Messages);

/// <summary>The tenant's key versions and how far the re-wrap after the last rotation has come.</summary>
public sealed record KeyOverview(IReadOnlyList<KeyVersionRow> Versions)
{
    public KeyVersionRow? Active => Versions.FirstOrDefault(v => v.IsActive);

    public int OnActive => Active?.Messages ?? 0;

    /// <summary>Live messages still wrapped by an older version: what the re-wrap job has left to do.</summary>
    public int OnOlder => Versions.Where(v => !v.IsActive).Sum(v => v.Messages);

    public bool RewrapComplete => OnOlder == 0;

    public int PercentDone => OnActive + OnOlder == 0 ? 100 : (int)(100L * OnActive / (OnActive + OnOlder));
}

public sealed record ApiKeyRow(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A new API key: <see cref="Key"/> is shown once and never stored.</summary>
public sealed record CreatedApiKey(ApiKeyRow Row, string Key);

public enum ApiKeyRevocation
{
    NotFound,
    Revoked,
    AlreadyRevoked,
}

/// <summary>
/// The keys admin: tenant key versions and rotation, API keys. Every method takes the tenant id of the
/// admin's scope and reads that tenant's rows (<see cref="TenantDataExtensions.ForTenant"/>), so an id of
/// another tenant is not found.
/// </summary>
public sealed class KeyAdministration(OmePortalDbContext db, TenantKeyRing keyRing, ApiKeys apiKeys, AuditLog audit, RewrapSignal rewrap, TimeProvider time)
{
    public const int MaxNameLength = 100;

    public async Task<KeyOverview> OverviewAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var tenant = db.ForTenant(tenantId);
        var versions = await tenant.TenantKeys.AsNoTracking()
            .OrderByDescending(k => k.Version)
            .Select(k => new { k.Version, k.IsActive, Retired = k.WrappedKey == null, k.CreatedAt, k.RetiredAt })
            .ToListAsync(cancellationToken);
        var counts = await tenant.Messages.AsNoTracking().Where(m => m.WrappedKey != null)
            .GroupBy(m => m.KeyVersion)
            .Select(g => new { Version = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Version, g => g.Count, cancellationToken);
        return new KeyOverview([.. versions.Select(v => new KeyVersionRow(v.Version, v.IsActive, v.Retired, v.CreatedAt, v.RetiredAt, counts.GetValueOrDefault(v.Version)))]);
    }

    /// <summary>Makes a new tenant key version active, records it, and starts re-wrapping the message keys.</summary>
    public async Task<int> RotateAsync(Guid tenantId, string actor, CancellationToken cancellationToken)
    {
        var version = await keyRing.RotateAsync(db, tenantId, cancellationToken);
        await audit.RecordAsync(tenantId, AuditEventKind.KeyRotated, actor, detail: $"version {version}", cancellationToken: cancellationToken);
        rewrap.Request(tenantId);
        return version;
    }

    public Task<List<ApiKeyRow>> ListApiKeysAsync(Guid tenantId, CancellationToken cancellationToken) =>
        db.ForTenant(tenantId).ApiKeys.AsNoTracking()
            .OrderBy(k => k.RevokedAt != null).ThenByDescending(k => k.CreatedAt)
            .Select(k => new ApiKeyRow(k.Id, k.Name, k.Prefix, k.CreatedAt, k.RevokedAt))
            .ToListAsync(cancellationToken);

    public Task<ApiKeyRow?> FindApiKeyAsync(Guid tenantId, Guid id, CancellationToken cancellationToken) =>
        db.ForTenant(tenantId).ApiKeys.AsNoTracking().Where(k => k.Id == id)
            .Select(k => new ApiKeyRow(k.Id, k.Name, k.Prefix, k.CreatedAt, k.RevokedAt))
            .SingleOrDefaultAsync(cancellationToken);

    public async Task<CreatedApiKey> CreateApiKeyAsync(Guid tenantId, string name, string actor, CancellationToken cancellationToken)
    {
        var key = ApiKeys.NewKey();
        var record = apiKeys.Add(tenantId, name.Trim(), key);
        audit.Add(tenantId, AuditEventKind.ApiKeyCreated, actor, detail: $"{record.Prefix} {record.Name}");
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedApiKey(new ApiKeyRow(record.Id, record.Name, record.Prefix, record.CreatedAt, null), key);
    }

    /// <summary>Revokes at once: REST and SMTP look every key up on each use, so the next request with it is refused.</summary>
    public async Task<ApiKeyRevocation> RevokeApiKeyAsync(Guid tenantId, Guid id, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = db.ForTenant(tenantId).ApiKeys;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await keys.Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), cancellationToken);
        if (changed == 0)
        {
            return await keys.AnyAsync(k => k.Id == id, cancellationToken)
                ? ApiKeyRevocation.AlreadyRevoked
                : ApiKeyRevocation.NotFound;
        }

        var prefix = await keys.Where(k => k.Id == id).Select(k => k.Prefix + " " + k.Name).SingleAsync(cancellationToken);
        audit.Add(tenantId, AuditEventKind.ApiKeyRevoked, actor, detail: prefix);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ApiKeyRevocation.Revoked;
    }
}
