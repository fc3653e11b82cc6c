using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Vault;
using OmePortal.Data;

namespace OmePortal.Web.Vault;

/// <summary>
/// Tenant key versions, unwrapped on first use and cached (a version's bytes never change). Which
/// version is active is read from the database each time, so a rotation on another node is seen at once.
/// </summary>
public sealed class TenantKeyRing(MasterKeyHolder master, TimeProvider time)
{
    private readonly ConcurrentDictionary<(Guid Tenant, int Version), TenantKey> _cache = new();

    public async Task<TenantKey> GetActiveAsync(OmePortalDbContext db, Guid tenantId, CancellationToken cancellationToken)
    {
        var record = await db.TenantKeys.AsNoTracking()
            .Where(k => k.TenantId == tenantId && k.IsActive)
            .SingleOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Tenant {tenantId} has no active key.");
        return Unwrap(record);
    }

    /// <summary>The given version, or null when it has been retired (its wrapped bytes deleted).</summary>
    public async Task<TenantKey?> GetAsync(OmePortalDbContext db, Guid tenantId, int version, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue((tenantId, version), out var cached))
        {
            return cached;
        }

        var record = await db.TenantKeys.AsNoTracking()
            .SingleOrDefaultAsync(k => k.TenantId == tenantId && k.Version == version, cancellationToken);
        return record?.WrappedKey is null ? null : Unwrap(record);
    }

    /// <summary>Adds version 1 for a new tenant (to be saved by the caller with the tenant).</summary>
    public TenantKeyRecord CreateInitial(Guid tenantId)
    {
        using var key = TenantKey.Generate(tenantId, 1);
        return new TenantKeyRecord
        {
            TenantId = tenantId,
            Version = 1,
            WrappedKey = key.WrapWith(master.Key),
            IsActive = true,
            CreatedAt = time.GetUtcNow(),
        };
    }

    /// <summary>Makes a new version the active one. Existing message keys stay wrapped by older versions until re-wrapped.</summary>
    public async Task<int> RotateAsync(OmePortalDbContext db, Guid tenantId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var versions = await db.TenantKeys.Where(k => k.TenantId == tenantId).ToListAsync(cancellationToken);
        var next = versions.Count == 0 ? 1 : versions.Max(k => k.Version) + 1;
        foreach (var v in versions)
        {
            v.IsActive = false;
        }

        using var key = TenantKey.Generate(tenantId, next);
        db.TenantKeys.Add(new TenantKeyRecord
        {
            TenantId = tenantId,
            Version = next,
            WrappedKey = key.WrapWith(master.Key),
            IsActive = true,
            CreatedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return next;
    }

    private TenantKey Unwrap(TenantKeyRecord record) =>
        _cache.GetOrAdd((record.TenantId, record.Version),
            static (id, state) => TenantKey.Unwrap(state.Key, id.Tenant, id.Version, state.Wrapped),
            (Key: master.Key, Wrapped: record.WrappedKey ?? throw new InvalidOperationException("The tenant key version is retired.")));

    internal void Forget(Guid tenantId, int version)
    {
        // Not disposed here: a reader on another thread may still hold it; the GC reclaims it.
        _cache.TryRemove((tenantId, version), out _);
    }
}
