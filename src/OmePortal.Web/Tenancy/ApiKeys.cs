using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;

namespace OmePortal.Web.Tenancy;

/// <summary>
/// Tenant API keys: "omp_" + 256 random bits. Only the SHA-256 of a key is stored: the keys are
/// high-entropy, so a fast hash is enough and lookups stay one indexed query.
/// </summary>
public sealed class ApiKeys(OmePortalDbContext db, TimeProvider time)
{
    public const string KeyPrefix = "omp_";

    public static string NewKey() => KeyPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public ApiKeyRecord Add(Guid tenantId, string name, string key)
    {
        if (!IsWellFormed(key))
        {
            throw new ArgumentException("An API key must start with 'omp_' and carry at least 128 bits (32+ characters).", nameof(key));
        }

        var record = new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Name = name,
            Prefix = key[..Math.Min(12, key.Length)],
            KeyHash = Hash(key),
            CreatedAt = time.GetUtcNow(),
        };
        db.ApiKeys.Add(record);
        return record;
    }

    /// <summary>The tenant the key belongs to, or null for an unknown, malformed or revoked key.</summary>
    public async Task<Guid?> AuthenticateAsync(string? presented, CancellationToken cancellationToken)
    {
        if (presented is null || !IsWellFormed(presented))
        {
            return null;
        }

        var hash = Hash(presented);
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.KeyHash == hash && k.RevokedAt == null)
            .Select(k => new { k.TenantId })
            .SingleOrDefaultAsync(cancellationToken);
        return key?.TenantId;
    }

    private static bool IsWellFormed(string key) =>
        key.StartsWith(KeyPrefix, StringComparison.Ordinal) && key.Length is >= 32 and <= 200;
}
