using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Mime;
using OmePortal.Core.RecipientKeys;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Vault;

namespace OmePortal.Web.RecipientKeys;

public enum RecipientKeyKind
{
    SMime = 0,
    OpenPgp = 1,
}

/// <summary>PGP/MIME (RFC 3156) unless the recipient or an admin chose PGP/Inline for that key.</summary>
public enum PgpFormat
{
    Mime = 0,
    Inline = 1,
}

/// <summary>
/// A key that may be used now to encrypt to <paramref name="Address"/>. <paramref name="PublicKey"/> is the DER
/// X.509 certificate (S/MIME) or the binary OpenPGP transferable public key (PGP).
/// </summary>
public sealed record UsableRecipientKey(string Address, RecipientKeyKind Kind, string Fingerprint, byte[] PublicKey, PgpFormat PgpFormat);

/// <summary>One directory entry with its usability decided now.</summary>
public sealed record DirectoryEntry(RecipientKeyRecord Record, KeyCheck Check)
{
    public RecipientKeyKind Kind => (RecipientKeyKind)(int)Record.Kind;
    public PgpFormat PgpFormat => (PgpFormat)(int)Record.PgpFormat;
}

/// <summary>
/// The tenant's recipient key directory (docs/ARCHITECTURE.md §4, "Recipient keys"): certificates and OpenPGP
/// public keys, each bound to one address. Usability is never stored; it is decided at every read from the
/// key, the time and the tenant's trust anchors and settings as they are now, so an expiry, a removed anchor
/// or a changed setting takes effect on the next message.
/// </summary>
public sealed class RecipientKeyDirectory(OmePortalDbContext db, AuditLog audit, MasterKeyHolder master, TimeProvider time)
{
    /// <summary>
    /// The usable key of each address that has one (addresses normalised as <see cref="AddressNormalizer"/> does).
    /// When an address has several usable keys the choice is: a key the recipient added themself first (they
    /// chose how they read mail), then S/MIME before OpenPGP (the one mail programs open without a plug-in),
    /// then the most recently added. Addresses without a usable key are absent from the result.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, UsableRecipientKey>> FindUsableAsync(Guid tenantId, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var wanted = addresses.Select(AddressNormalizer.Normalize).Distinct(StringComparer.Ordinal).ToList();
        var result = new Dictionary<string, UsableRecipientKey>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return result;
        }

        var records = await db.ForTenant(tenantId).RecipientKeys.AsNoTracking()
            .Where(k => wanted.Contains(k.Address))
            .ToListAsync(cancellationToken);
        if (records.Count == 0)
        {
            return result;
        }

        var trust = await TrustOfAsync(tenantId, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var group in records.GroupBy(r => r.Address))
        {
            var chosen = group
                .OrderByDescending(r => r.Source == RecipientKeySource.Recipient)
                .ThenBy(r => r.Kind)
                .ThenByDescending(r => r.AddedAt)
                .FirstOrDefault(r => Evaluate(r, trust, now).IsUsable);
            if (chosen is not null)
            {
                result[group.Key] = new UsableRecipientKey(chosen.Address, (RecipientKeyKind)(int)chosen.Kind, chosen.Fingerprint, chosen.PublicKey, (PgpFormat)(int)chosen.PgpFormat);
            }
        }

        return result;
    }

    /// <summary>The tenant's entries, newest first, optionally those whose address or fingerprint contains <paramref name="search"/>.</summary>
    public async Task<IReadOnlyList<DirectoryEntry>> ListAsync(Guid tenantId, string? search, int limit, CancellationToken cancellationToken)
    {
        var query = db.ForTenant(tenantId).RecipientKeys.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim().ToLowerInvariant();
            var upper = term.ToUpperInvariant().Replace(" ", "", StringComparison.Ordinal);
            query = query.Where(k => k.Address.Contains(term) || k.Fingerprint.Contains(upper));
        }

        var records = await query.OrderByDescending(k => k.AddedAt).Take(limit).ToListAsync(cancellationToken);
        var trust = await TrustOfAsync(tenantId, cancellationToken);
        var now = time.GetUtcNow();
        return [.. records.Select(r => new DirectoryEntry(r, Evaluate(r, trust, now)))];
    }

    public async Task<DirectoryEntry?> GetAsync(Guid tenantId, string fingerprint, CancellationToken cancellationToken)
    {
        var normalized = NormalizeFingerprint(fingerprint);
        var record = await db.ForTenant(tenantId).RecipientKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Fingerprint == normalized, cancellationToken);
        return record is null ? null : new DirectoryEntry(record, Evaluate(record, await TrustOfAsync(tenantId, cancellationToken), time.GetUtcNow()));
    }

    /// <summary>
    /// Reads a key file and adds each recipient key in it, all or nothing. A key must name the address it is bound
    /// to (<see cref="KeyImportRequest.Address"/>, or the single address the key names when none is given); a key
    /// that is expired, revoked or cannot encrypt is refused, since it would never be used. An untrusted
    /// certificate is kept (an admin may add its CA as a trust anchor later) unless <see cref="KeyImportRequest.UsableOnly"/>.
    /// A key already in the directory for the same address is replaced (a renewed expiry, a new subkey).
    /// </summary>
    public async Task<KeyImportResult> ImportAsync(Guid tenantId, ReadOnlyMemory<byte> file, KeyImportRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var prepared = await PrepareAsync(tenantId, file, request, cancellationToken);
        if (prepared is not KeyImportResult.Imported imported)
        {
            return prepared;
        }

        await SaveAsync(tenantId, imported.Keys, request, cancellationToken);
        return imported;
    }

    /// <summary>Checks a file against the directory without changing anything (the recipient's upload checks every tenant before it stores in any).</summary>
    internal async Task<KeyImportResult> PrepareAsync(Guid tenantId, ReadOnlyMemory<byte> file, KeyImportRequest request, CancellationToken cancellationToken)
    {
        var parsed = KeyFileParser.Parse(file.Span, KeyFileLimits.Default);
        if (parsed is KeyFileResult.Refused refused)
        {
            return new KeyImportResult.Refused(refused.Error switch
            {
                KeyFileError.TooLarge => KeyImportError.TooLarge,
                KeyFileError.Malformed or KeyFileError.Empty => KeyImportError.Malformed,
                KeyFileError.TooManyUserIds or KeyFileError.TooManyKeys => KeyImportError.TooComplex,
                KeyFileError.ContainsSecretKey => KeyImportError.ContainsSecretKey,
                _ => KeyImportError.Malformed,
            }, refused.Detail);
        }

        var keys = ((KeyFileResult.Parsed)parsed).Keys;
        // A CA certificate in a bundle is an issuer, not a recipient; alone in its file it may be a recipient's own
        // self-signed certificate (openssl req -x509 marks those CA:TRUE by default).
        var recipientKeys = keys.Count == 1 ? keys.ToList() : keys.Where(k => !k.IsCertificateAuthority).ToList();
        if (recipientKeys.Count == 0)
        {
            return new KeyImportResult.Refused(KeyImportError.NotARecipientKey, "The file holds only CA certificates; add them as trust anchors instead.");
        }

        var wanted = request.Address is null ? null : AddressNormalizer.Normalize(request.Address);
        var trust = await TrustOfAsync(tenantId, cancellationToken);
        var now = time.GetUtcNow();
        var results = new List<ImportedKey>(recipientKeys.Count);
        foreach (var key in recipientKeys)
        {
            string address;
            if (wanted is not null)
            {
                if (!key.Addresses.Contains(wanted, StringComparer.Ordinal))
                {
                    return new KeyImportResult.Refused(KeyImportError.WrongAddress, key.Addresses.Count == 0
                        ? $"The key {key.Fingerprint} names no e-mail address; it must name {wanted}."
                        : $"The key {key.Fingerprint} is for {string.Join(", ", key.Addresses.Take(5))}, not {wanted}.");
                }

                address = wanted;
            }
            else if (key.Addresses.Count == 1)
            {
                address = key.Addresses[0];
            }
            else
            {
                return new KeyImportResult.Refused(KeyImportError.WrongAddress, key.Addresses.Count == 0
                    ? $"The key {key.Fingerprint} names no e-mail address."
                    : $"The key {key.Fingerprint} names several addresses ({string.Join(", ", key.Addresses.Take(5))}); say which one it is for.");
            }

            if (!AddressNormalizer.IsValid(address))
            {
                return new KeyImportResult.Refused(KeyImportError.WrongAddress, $"'{address}' is not a valid e-mail address.");
            }

            var kind = key.Kind == ParsedKeyKind.Certificate ? RecipientKeyRecordKind.SMime : RecipientKeyRecordKind.OpenPgp;
            var check = Evaluate(kind, key.Data, address, trust, now);
            var keep = check.Status == KeyStatus.Usable || (check.Status == KeyStatus.Untrusted && !request.UsableOnly);
            if (!keep)
            {
                return new KeyImportResult.Refused(RefusalOf(check.Status), $"The key {key.Fingerprint} cannot be used: {check.Reason}");
            }

            var existing = await db.ForTenant(tenantId).RecipientKeys.AsNoTracking()
                .Where(k => k.Fingerprint == key.Fingerprint).Select(k => k.Address).SingleOrDefaultAsync(cancellationToken);
            if (existing is not null && existing != address)
            {
                return new KeyImportResult.Refused(KeyImportError.Conflict, $"The key {key.Fingerprint} is already in the directory for {existing}; remove it there first.");
            }

            results.Add(new ImportedKey(address, kind, key.Fingerprint, key.Data, key.Description, key.NotAfter, check, Replaced: existing is not null));
        }

        if (results.GroupBy(r => r.Fingerprint).Any(g => g.Count() > 1))
        {
            return new KeyImportResult.Refused(KeyImportError.Malformed, "The file holds the same key twice.");
        }

        return new KeyImportResult.Imported(results);
    }

    internal async Task SaveAsync(Guid tenantId, IReadOnlyList<ImportedKey> keys, KeyImportRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var key in keys)
        {
            var record = await db.ForTenant(tenantId).RecipientKeys.SingleOrDefaultAsync(k => k.Fingerprint == key.Fingerprint, cancellationToken);
            if (record is null)
            {
                record = new RecipientKeyRecord
                {
                    Id = Guid.CreateVersion7(now),
                    TenantId = tenantId,
                    Address = key.Address,
                    Kind = key.Kind,
                    Fingerprint = key.Fingerprint,
                    PublicKey = key.Data,
                    Description = Truncate(key.Description, 500),
                    AddedBy = Truncate(request.Actor, 320),
                };
                db.RecipientKeys.Add(record);
            }

            record.PublicKey = key.Data;
            record.Description = Truncate(key.Description, 500);
            record.NotAfter = key.NotAfter;
            record.Source = request.Source;
            record.AddedAt = now;
            record.AddedBy = Truncate(request.Actor, 320);
            if (request.PgpFormat is { } format)
            {
                record.PgpFormat = format;
            }

            audit.Add(tenantId, AuditEventKind.RecipientKeyAdded, request.Actor, detail: $"{key.Address} {key.Kind} {key.Fingerprint} {request.Source}{(key.Replaced ? " replaced" : "")}");
        }

        if (request.NotifyAddress)
        {
            foreach (var address in keys.Select(k => k.Address).Distinct(StringComparer.Ordinal))
            {
                var first = keys.First(k => k.Address == address);
                db.OutboundMails.Add(RecipientKeyAddedMail.Queue(master, address, first.Kind, first.Fingerprint, now));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Removes the key with this fingerprint; false when the tenant has none.</summary>
    public async Task<bool> RemoveAsync(Guid tenantId, string fingerprint, string actor, CancellationToken cancellationToken)
    {
        var normalized = NormalizeFingerprint(fingerprint);
        var record = await db.ForTenant(tenantId).RecipientKeys.SingleOrDefaultAsync(k => k.Fingerprint == normalized, cancellationToken);
        if (record is null)
        {
            return false;
        }

        db.RecipientKeys.Remove(record);
        audit.Add(tenantId, AuditEventKind.RecipientKeyRemoved, actor, detail: $"{record.Address} {record.Kind} {record.Fingerprint}");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Sets PGP/MIME or PGP/Inline for an OpenPGP key; false when the tenant has no such OpenPGP key.</summary>
    public async Task<bool> SetPgpFormatAsync(Guid tenantId, string fingerprint, PgpFormat format, string actor, CancellationToken cancellationToken)
    {
        var normalized = NormalizeFingerprint(fingerprint);
        var record = await db.ForTenant(tenantId).RecipientKeys
            .SingleOrDefaultAsync(k => k.Fingerprint == normalized && k.Kind == RecipientKeyRecordKind.OpenPgp, cancellationToken);
        if (record is null)
        {
            return false;
        }

        record.PgpFormat = (RecipientKeyRecordPgpFormat)(int)format;
        audit.Add(tenantId, AuditEventKind.RecipientKeyAdded, actor, detail: $"{record.Address} {record.Kind} {record.Fingerprint} format={format}");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>The tenant's trust anchors and settings, as the usability checks need them.</summary>
    internal async Task<DirectoryTrust> TrustOfAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var data = db.ForTenant(tenantId);
        var anchors = await data.RecipientTrustAnchors.AsNoTracking().Select(a => a.Certificate).ToListAsync(cancellationToken);
        var allowSelfSigned = await data.RecipientKeySettings.AsNoTracking().Select(s => s.AllowSelfSigned).SingleOrDefaultAsync(cancellationToken);
        return new DirectoryTrust(anchors, allowSelfSigned);
    }

    internal static KeyCheck Evaluate(RecipientKeyRecord record, DirectoryTrust trust, DateTimeOffset now) =>
        Evaluate(record.Kind, record.PublicKey, record.Address, trust, now);

    private static KeyCheck Evaluate(RecipientKeyRecordKind kind, byte[] key, string address, DirectoryTrust trust, DateTimeOffset now) => kind switch
    {
        RecipientKeyRecordKind.SMime => CertificateCheck.Check(key, address, trust.Anchors, trust.AllowSelfSigned, now),
        RecipientKeyRecordKind.OpenPgp => OpenPgpCheck.Check(key, address, now),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static KeyImportError RefusalOf(KeyStatus status) => status switch
    {
        KeyStatus.Expired => KeyImportError.Expired,
        KeyStatus.Revoked => KeyImportError.Revoked,
        KeyStatus.WrongAddress => KeyImportError.WrongAddress,
        KeyStatus.NoEncryptionKey => KeyImportError.NoEncryptionKey,
        KeyStatus.Untrusted => KeyImportError.Untrusted,
        KeyStatus.Usable => throw new ArgumentOutOfRangeException(nameof(status)),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>Fingerprints are stored as upper-case hex; people paste them with spaces, colons or in lower case.</summary>
    public static string NormalizeFingerprint(string fingerprint) =>
        new([.. (fingerprint ?? "").Where(char.IsAsciiHexDigit).Select(char.ToUpperInvariant)]);

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}

internal sealed record DirectoryTrust(IReadOnlyCollection<byte[]> Anchors, bool AllowSelfSigned);

/// <summary>Who adds keys and for which address.</summary>
/// <param name="Address">The address the keys must name; null: the single address each key names.</param>
/// <param name="UsableOnly">Refuse an untrusted certificate too (the recipient's own upload: nobody would fix its trust for them).</param>
/// <param name="NotifyAddress">Queue the "a key was added for your address" mail.</param>
public sealed record KeyImportRequest(string? Address, RecipientKeySource Source, string Actor, RecipientKeyRecordPgpFormat? PgpFormat = null, bool UsableOnly = false, bool NotifyAddress = true);

public sealed record ImportedKey(string Address, RecipientKeyRecordKind Kind, string Fingerprint, byte[] Data, string Description, DateTimeOffset? NotAfter, KeyCheck Check, bool Replaced);

public enum KeyImportError
{
    Malformed = 0,
    TooLarge = 1,
    TooComplex = 2,
    ContainsSecretKey = 3,
    WrongAddress = 4,
    Expired = 5,
    Revoked = 6,
    NoEncryptionKey = 7,
    Untrusted = 8,
    Conflict = 9,
    NotARecipientKey = 10,
}

/// <summary>All keys of a file were added, or none was and this says why.</summary>
public abstract record KeyImportResult
{
    private KeyImportResult()
    {
    }

    public sealed record Imported(IReadOnlyList<ImportedKey> Keys) : KeyImportResult;

    public sealed record Refused(KeyImportError Error, string Detail) : KeyImportResult;
}
