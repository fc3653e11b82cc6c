using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Vault;

namespace OmePortal.Web.RecipientKeys;

/// <summary>A key the signed-in recipient has for their address, with the organisations it is usable for.</summary>
public sealed record OwnKey(string Fingerprint, RecipientKeyKind Kind, string Description, PgpFormat PgpFormat, DateTimeOffset? NotAfter, DateTimeOffset AddedAt, int Organisations, int UsableFor);

public abstract record OwnKeyResult
{
    private OwnKeyResult()
    {
    }

    public sealed record Added(string Fingerprint, int Organisations) : OwnKeyResult;

    public sealed record Refused(KeyImportError Error, string Detail) : OwnKeyResult;

    /// <summary>No organisation has sent the address a message yet, so no directory would hold the key.</summary>
    public sealed record NoOrganisation : OwnKeyResult;
}

/// <summary>
/// The recipient's own side of the directory, on /security ("receive these messages encrypted in my own mail
/// program"). A recipient is not a tenant's member: the key goes into the directory of every tenant that has
/// sent the proven address a message, and only for that address (the key must name it). Each tenant decides
/// usability with its own trust anchors, so the key is stored where it is usable and the upload is refused when
/// it is usable nowhere. Removing takes the key out of all of them.
/// </summary>
public sealed class RecipientOwnKeys(OmePortalDbContext db, RecipientKeyDirectory directory, AuditLog audit, MasterKeyHolder master, TimeProvider time)
{
    public async Task<IReadOnlyList<OwnKey>> ListAsync(string address, CancellationToken cancellationToken)
    {
        var normalized = AddressNormalizer.Normalize(address);
        var records = await db.RecipientKeys.AsNoTracking().Where(k => k.Address == normalized).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var result = new List<OwnKey>();
        foreach (var group in records.GroupBy(r => r.Fingerprint))
        {
            var usable = 0;
            foreach (var record in group)
            {
                if (RecipientKeyDirectory.Evaluate(record, await directory.TrustOfAsync(record.TenantId, cancellationToken), now).IsUsable)
                {
                    usable++;
                }
            }

            var newest = group.OrderByDescending(r => r.AddedAt).First();
            result.Add(new OwnKey(group.Key, (RecipientKeyKind)(int)newest.Kind, newest.Description, (PgpFormat)(int)newest.PgpFormat, newest.NotAfter, newest.AddedAt, group.Count(), usable));
        }

        return [.. result.OrderByDescending(k => k.AddedAt)];
    }

    public async Task<OwnKeyResult> AddAsync(string address, ReadOnlyMemory<byte> file, PgpFormat format, CancellationToken cancellationToken)
    {
        var normalized = AddressNormalizer.Normalize(address);
        var tenants = await db.Recipients.AsNoTracking().Where(r => r.Address == normalized).Select(r => r.TenantId).Distinct().ToListAsync(cancellationToken);
        if (tenants.Count == 0)
        {
            return new OwnKeyResult.NoOrganisation();
        }

        var request = new KeyImportRequest(normalized, RecipientKeySource.Recipient, normalized, (RecipientKeyRecordPgpFormat)(int)format, UsableOnly: true, NotifyAddress: false);
        var accepted = new List<(Guid Tenant, IReadOnlyList<ImportedKey> Keys)>();
        KeyImportResult.Refused? firstRefusal = null;
        foreach (var tenantId in tenants)
        {
            switch (await directory.PrepareAsync(tenantId, file, request, cancellationToken))
            {
                case KeyImportResult.Imported imported:
                    accepted.Add((tenantId, imported.Keys));
                    break;
                case KeyImportResult.Refused refused:
                    // Malformed or for another address: the same everywhere, so stop at once.
                    if (refused.Error is KeyImportError.Malformed or KeyImportError.TooLarge or KeyImportError.TooComplex or KeyImportError.ContainsSecretKey or KeyImportError.WrongAddress or KeyImportError.NotARecipientKey)
                    {
                        return new OwnKeyResult.Refused(refused.Error, refused.Detail);
                    }

                    firstRefusal ??= refused;
                    break;
            }
        }

        if (accepted.Count == 0)
        {
            return new OwnKeyResult.Refused(firstRefusal!.Error, firstRefusal.Detail);
        }

        if (accepted.Any(a => a.Keys.Count != 1))
        {
            return new OwnKeyResult.Refused(KeyImportError.TooComplex, "The file holds several keys; upload one.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var (tenantId, keys) in accepted)
        {
            await directory.SaveAsync(tenantId, keys, request, cancellationToken);
        }

        var key = accepted[0].Keys[0];
        db.OutboundMails.Add(RecipientKeyAddedMail.Queue(master, normalized, key.Kind, key.Fingerprint, time.GetUtcNow()));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new OwnKeyResult.Added(key.Fingerprint, accepted.Count);
    }

    /// <summary>Removes the key with this fingerprint from every tenant's directory entry for the address; false when it has none.</summary>
    public async Task<bool> RemoveAsync(string address, string fingerprint, CancellationToken cancellationToken)
    {
        var normalized = AddressNormalizer.Normalize(address);
        var wanted = RecipientKeyDirectory.NormalizeFingerprint(fingerprint);
        var records = await db.RecipientKeys.Where(k => k.Address == normalized && k.Fingerprint == wanted).ToListAsync(cancellationToken);
        if (records.Count == 0)
        {
            return false;
        }

        foreach (var record in records)
        {
            db.RecipientKeys.Remove(record);
            audit.Add(record.TenantId, AuditEventKind.RecipientKeyRemoved, normalized, detail: $"{record.Address} {record.Kind} {record.Fingerprint} by recipient");
        }

        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>PGP/MIME or PGP/Inline for the recipient's own OpenPGP key, in every tenant that holds it.</summary>
    public async Task<bool> SetFormatAsync(string address, string fingerprint, PgpFormat format, CancellationToken cancellationToken)
    {
        var normalized = AddressNormalizer.Normalize(address);
        var wanted = RecipientKeyDirectory.NormalizeFingerprint(fingerprint);
        var records = await db.RecipientKeys
            .Where(k => k.Address == normalized && k.Fingerprint == wanted && k.Kind == RecipientKeyRecordKind.OpenPgp).ToListAsync(cancellationToken);
        foreach (var record in records)
        {
            record.PgpFormat = (RecipientKeyRecordPgpFormat)(int)format;
            audit.Add(record.TenantId, AuditEventKind.RecipientKeyAdded, normalized, detail: $"{record.Address} {record.Kind} {record.Fingerprint} format={format} by recipient");
        }

        await db.SaveChangesAsync(cancellationToken);
        return records.Count > 0;
    }
}
