using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;
using OmePortal.Core.RecipientKeys;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Vault;

namespace OmePortal.Web.RecipientKeys;

/// <summary>
/// What the tenant signs with. Holds private keys in memory only for as long as the caller needs them:
/// dispose it when the mail is signed (the OpenPGP secret key bytes are zeroed, the certificate's key released).
/// </summary>
public sealed class TenantSigningMaterial : IDisposable
{
    public TenantSigningMaterial(X509Certificate2? smimeCertificate, byte[]? openPgpSecretKey, bool signNotifications)
    {
        SmimeCertificate = smimeCertificate;
        OpenPgpSecretKey = openPgpSecretKey;
        SignNotifications = signNotifications;
    }

    /// <summary>The S/MIME signing certificate with its private key, or null when the tenant has none.</summary>
    public X509Certificate2? SmimeCertificate { get; }

    /// <summary>The binary transferable OpenPGP secret key, not passphrase-protected, or null when the tenant has none.</summary>
    public byte[]? OpenPgpSecretKey { get; }

    /// <summary>Whether the portal's notification mails are signed too (the tenant's setting).</summary>
    public bool SignNotifications { get; }

    public void Dispose()
    {
        SmimeCertificate?.Dispose();
        if (OpenPgpSecretKey is not null)
        {
            CryptographicOperations.ZeroMemory(OpenPgpSecretKey);
        }
    }
}

/// <summary>A signing identity as the admin page shows it (no secret).</summary>
public sealed record SigningIdentitySummary(RecipientKeyKind Kind, string Fingerprint, string Description, DateTimeOffset? NotAfter, DateTimeOffset AddedAt, string AddedBy)
{
    /// <summary>Expired, or within <paramref name="warning"/> of it: the admin page warns.</summary>
    public bool ExpiresWithin(DateTimeOffset now, TimeSpan warning) => NotAfter is { } end && end - now <= warning;

    public bool HasExpired(DateTimeOffset now) => NotAfter is { } end && end <= now;
}

public enum SigningUploadError
{
    Malformed = 0,
    WrongPassword = 1,
    NoPrivateKey = 2,
    Expired = 3,
    NotForSigning = 4,
    TooLarge = 5,
}

public abstract record SigningUploadResult
{
    private SigningUploadResult()
    {
    }

    public sealed record Stored(SigningIdentitySummary Identity) : SigningUploadResult;

    public sealed record Refused(SigningUploadError Error, string Detail) : SigningUploadResult;
}

/// <summary>
/// The tenant's signing identities (docs/ARCHITECTURE.md §4, "Signing identities"): at most one S/MIME certificate
/// with its key (uploaded as PKCS#12 and password) and one OpenPGP secret key (armored, with its passphrase). The
/// upload's password or passphrase is removed and the key is sealed like a message: a random 256-bit key per
/// identity encrypts it in the vault format (bound to tenant, identity id and purpose), and that key is stored
/// wrapped by the tenant key, so the database never holds a private key in the clear and a master key or tenant
/// key rotation covers it.
/// </summary>
public sealed class SigningIdentities(OmePortalDbContext db, TenantKeyRing keyRing, AuditLog audit, TimeProvider time)
{
    /// <summary>Largest PKCS#12 or armored secret key accepted (a key with a long chain is a few kilobytes).</summary>
    public const int MaxUploadBytes = 256 * 1024;

    /// <summary>The admin page warns this long before a signing certificate or key expires.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    /// <summary>
    /// The tenant's signing material, or null when it has no signing identity. An identity that has expired is
    /// left out (a signature by an expired key makes mail programs warn, which is worse than no signature).
    /// </summary>
    public async Task<TenantSigningMaterial?> LoadAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var data = db.ForTenant(tenantId);
        var records = await data.SigningIdentities.AsNoTracking().ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        records = [.. records.Where(r => r.NotAfter is null || r.NotAfter > now)];
        if (records.Count == 0)
        {
            return null;
        }

        var signNotifications = await data.RecipientKeySettings.AsNoTracking().Select(s => s.SignNotifications).SingleOrDefaultAsync(cancellationToken);
        X509Certificate2? certificate = null;
        byte[]? secretKey = null;
        foreach (var record in records)
        {
            var secret = await OpenAsync(record, cancellationToken);
            switch (record.Kind)
            {
                case RecipientKeyRecordKind.SMime:
                    try
                    {
                        certificate = X509CertificateLoader.LoadPkcs12(secret, null, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(secret);
                    }

                    break;
                case RecipientKeyRecordKind.OpenPgp:
                    secretKey = secret;
                    break;
                default:
                    throw new InvalidOperationException($"Unknown signing identity kind {record.Kind}.");
            }
        }

        return new TenantSigningMaterial(certificate, secretKey, signNotifications);
    }

    public async Task<IReadOnlyList<SigningIdentitySummary>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var records = await db.ForTenant(tenantId).SigningIdentities.AsNoTracking().OrderBy(i => i.Kind).ToListAsync(cancellationToken);
        return [.. records.Select(Summary)];
    }

    /// <summary>Stores (or replaces) the S/MIME signing identity from a PKCS#12 file and its password.</summary>
    public async Task<SigningUploadResult> SetSmimeAsync(Guid tenantId, byte[] pkcs12, string? password, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pkcs12);
        if (pkcs12.Length > MaxUploadBytes)
        {
            return new SigningUploadResult.Refused(SigningUploadError.TooLarge, $"The file is larger than {MaxUploadBytes:N0} bytes.");
        }

        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(pkcs12, password, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException ex) when (ex.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
        {
            return new SigningUploadResult.Refused(SigningUploadError.WrongPassword, "The password does not open the PKCS#12 file.");
        }
        catch (CryptographicException)
        {
            return new SigningUploadResult.Refused(SigningUploadError.Malformed, "The file is not a PKCS#12 (.p12, .pfx) file, or the password does not open it.");
        }

        try
        {
            var certificate = collection.FirstOrDefault(c => c.HasPrivateKey);
            if (certificate is null)
            {
                return new SigningUploadResult.Refused(SigningUploadError.NoPrivateKey, "The PKCS#12 file holds no private key.");
            }

            var now = time.GetUtcNow();
            if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime || certificate.NotBefore.ToUniversalTime() > now.UtcDateTime)
            {
                return new SigningUploadResult.Refused(SigningUploadError.Expired, $"The certificate is valid from {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd} to {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd} (UTC), not now.");
            }

            if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
                && (usage.KeyUsages & (X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation)) == 0)
            {
                return new SigningUploadResult.Refused(SigningUploadError.NotForSigning, "The certificate's key usage does not allow digital signatures.");
            }

            var unprotected = certificate.Export(X509ContentType.Pkcs12);
            try
            {
                return await StoreAsync(tenantId, RecipientKeyRecordKind.SMime, Convert.ToHexString(SHA256.HashData(certificate.RawData)), certificate.Subject,
                    new DateTimeOffset(certificate.NotAfter.ToUniversalTime()), certificate.RawData, unprotected, actor, cancellationToken);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(unprotected);
            }
        }
        finally
        {
            foreach (var item in collection)
            {
                item.Dispose();
            }
        }
    }

    /// <summary>Stores (or replaces) the OpenPGP signing identity from an armored (or binary) secret key and its passphrase.</summary>
    public async Task<SigningUploadResult> SetOpenPgpAsync(Guid tenantId, byte[] secretKeyFile, string? passphrase, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secretKeyFile);
        if (secretKeyFile.Length > MaxUploadBytes)
        {
            return new SigningUploadResult.Refused(SigningUploadError.TooLarge, $"The file is larger than {MaxUploadBytes:N0} bytes.");
        }

        PgpSecretKeyRing ring;
        try
        {
            using var input = PgpUtilities.GetDecoderStream(new MemoryStream(secretKeyFile, writable: false));
            var found = new PgpObjectFactory(input).AllPgpObjects().OfType<PgpSecretKeyRing>().ToList();
            if (found.Count != 1)
            {
                return new SigningUploadResult.Refused(SigningUploadError.Malformed, found.Count == 0
                    ? "The file holds no OpenPGP secret key (export it with gpg --export-secret-keys --armor)."
                    : "The file holds more than one OpenPGP secret key; upload one.");
            }

            ring = found[0];
        }
        catch (Exception ex) when (ex is IOException or PgpException or ArgumentException or InvalidOperationException or EndOfStreamException)
        {
            return new SigningUploadResult.Refused(SigningUploadError.Malformed, "The file is not an OpenPGP secret key that can be read.");
        }

        var secret = ring.GetSecretKey();
        if (!secret.IsSigningKey)
        {
            return new SigningUploadResult.Refused(SigningUploadError.NotForSigning, "The key's primary key cannot sign.");
        }

        PgpSecretKeyRing unprotectedRing;
        try
        {
            // Removing the passphrase proves it opens every secret key of the ring (a wrong one throws).
            unprotectedRing = PgpSecretKeyRing.CopyWithNewPassword(ring, (passphrase ?? "").ToCharArray(), null, SymmetricKeyAlgorithmTag.Null, new SecureRandom());
        }
        catch (PgpException)
        {
            return new SigningUploadResult.Refused(SigningUploadError.WrongPassword, "The passphrase does not open the secret key.");
        }

        var publicKey = unprotectedRing.GetPublicKey();
        var now = time.GetUtcNow();
        var validSeconds = publicKey.GetValidSeconds();
        DateTimeOffset? notAfter = validSeconds > 0 ? new DateTimeOffset(DateTime.SpecifyKind(publicKey.CreationTime, DateTimeKind.Utc)).AddSeconds(validSeconds) : null;
        if (notAfter <= now)
        {
            return new SigningUploadResult.Refused(SigningUploadError.Expired, $"The key expired on {notAfter:yyyy-MM-dd}.");
        }

        if (publicKey.HasRevocation())
        {
            return new SigningUploadResult.Refused(SigningUploadError.Expired, "The key has been revoked.");
        }

        using var publicPart = new MemoryStream();
        foreach (var key in unprotectedRing.GetPublicKeys())
        {
            key.Encode(publicPart, forTransfer: true);
        }

        var unprotected = unprotectedRing.GetEncoded();
        try
        {
            return await StoreAsync(tenantId, RecipientKeyRecordKind.OpenPgp, Convert.ToHexString(publicKey.GetFingerprint()),
                publicKey.GetUserIds().FirstOrDefault() ?? "", notAfter, publicPart.ToArray(), unprotected, actor, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unprotected);
        }
    }

    public async Task<bool> RemoveAsync(Guid tenantId, RecipientKeyKind kind, string actor, CancellationToken cancellationToken)
    {
        var stored = (RecipientKeyRecordKind)(int)kind;
        var record = await db.ForTenant(tenantId).SigningIdentities.SingleOrDefaultAsync(i => i.Kind == stored, cancellationToken);
        if (record is null)
        {
            return false;
        }

        db.SigningIdentities.Remove(record);
        audit.Add(tenantId, AuditEventKind.SigningIdentityRemoved, actor, detail: $"{record.Kind} {record.Fingerprint}");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private async Task<SigningUploadResult> StoreAsync(Guid tenantId, RecipientKeyRecordKind kind, string fingerprint, string description, DateTimeOffset? notAfter,
        byte[] publicPart, byte[] secret, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var tenantKey = await keyRing.GetActiveAsync(db, tenantId, cancellationToken);
        var existing = await db.ForTenant(tenantId).SigningIdentities.SingleOrDefaultAsync(i => i.Kind == kind, cancellationToken);
        if (existing is not null)
        {
            db.SigningIdentities.Remove(existing);
        }

        // A new id for each upload: the sealed value is bound to it, so an old sealed key copied into the new row does not open.
        var id = Guid.CreateVersion7(now);
        using var sealingKey = MessageKey.Generate();
        var record = new SigningIdentityRecord
        {
            Id = id,
            TenantId = tenantId,
            Kind = kind,
            Fingerprint = fingerprint,
            Description = description.Length <= 500 ? description : description[..500],
            NotAfter = notAfter,
            PublicPart = publicPart,
            KeyVersion = tenantKey.Version,
            WrappedKey = sealingKey.WrapWith(tenantKey),
            SealedSecret = VaultStream.Seal(sealingKey, new BlobContext(tenantId, id, BlobPurpose.Sealed), secret),
            AddedAt = now,
            AddedBy = actor.Length <= 320 ? actor : actor[..320],
        };
        db.SigningIdentities.Add(record);
        audit.Add(tenantId, AuditEventKind.SigningIdentitySet, actor, detail: $"{kind} {fingerprint}{(existing is null ? "" : " replaced")}");
        await db.SaveChangesAsync(cancellationToken);
        return new SigningUploadResult.Stored(Summary(record));
    }

    private async Task<byte[]> OpenAsync(SigningIdentityRecord record, CancellationToken cancellationToken)
    {
        var tenantKey = await keyRing.GetAsync(db, record.TenantId, record.KeyVersion, cancellationToken)
            ?? throw new InvalidOperationException($"Tenant key version {record.KeyVersion} of signing identity {record.Id} is retired.");
        using var key = MessageKey.Unwrap(tenantKey, record.WrappedKey);
        return VaultStream.Open(key, new BlobContext(record.TenantId, record.Id, BlobPurpose.Sealed), record.SealedSecret);
    }

    private static SigningIdentitySummary Summary(SigningIdentityRecord r) =>
        new((RecipientKeyKind)(int)r.Kind, r.Fingerprint, r.Description, r.NotAfter, r.AddedAt, r.AddedBy);
}
