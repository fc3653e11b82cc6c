using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Vault;
using OmePortal.Data;

namespace OmePortal.Web.Vault;

/// <summary>
/// Replaces the master key: every tenant key version still in use is unwrapped with the current key and
/// wrapped with the new one, and every Data Protection key is re-encrypted, all in one transaction, so
/// the database is either wholly under the old key or wholly under the new one. Afterwards the old key
/// opens nothing. Message keys and content are not touched (they sit below the tenant keys).
/// </summary>
/// <remarks>
/// Keys derived from the master key for short-lived things change with it: passcodes that are waiting
/// to be entered and inline-image tickets stop working (a recipient asks for a new passcode), and the
/// duplicate check of intake no longer recognises messages received before the rotation.
/// </remarks>
public static class MasterKeyRotation
{
    public sealed record Result(int TenantKeys, int DataProtectionKeys);

    /// <exception cref="ArgumentException">The new key is the current key.</exception>
    /// <exception cref="VaultIntegrityException">Something stored is not under <paramref name="current"/> (nothing is changed).</exception>
    public static async Task<Result> RotateAsync(OmePortalDbContext db, MasterKey current, MasterKey next, CancellationToken cancellationToken)
    {
        if (current.SameKeyAs(next))
        {
            throw new ArgumentException("The new master key is the current master key.", nameof(next));
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var tenantKeys = await db.TenantKeys.Where(k => k.WrappedKey != null).ToListAsync(cancellationToken);
        foreach (var record in tenantKeys)
        {
            using var key = TenantKey.Unwrap(current, record.TenantId, record.Version, record.WrappedKey!);
            record.WrappedKey = key.WrapWith(next);
        }

        var ringEntries = 0;
        foreach (var row in await db.DataProtectionKeys.ToListAsync(cancellationToken))
        {
            if (string.IsNullOrEmpty(row.Xml))
            {
                continue;
            }

            var xml = XElement.Parse(row.Xml);
            var sealedElements = xml.Descendants(MasterKeyXmlEncryptor.ElementName).ToList();
            foreach (var element in sealedElements)
            {
                element.ReplaceWith(MasterKeyXmlEncryptor.Seal(next, MasterKeyXmlEncryptor.Open(current, element)));
            }

            if (sealedElements.Count > 0)
            {
                row.Xml = xml.ToString(SaveOptions.DisableFormatting);
                ringEntries++;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Result(tenantKeys.Count, ringEntries);
    }
}
