using Microsoft.EntityFrameworkCore;
using OmePortal.Core.RecipientKeys;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.RecipientKeys;

public abstract record TrustAnchorResult
{
    private TrustAnchorResult()
    {
    }

    public sealed record Added(IReadOnlyList<RecipientTrustAnchorRecord> Anchors) : TrustAnchorResult;

    public sealed record Refused(KeyImportError Error, string Detail) : TrustAnchorResult;
}

/// <summary>
/// The certificates a tenant accepts as roots of recipient certificates, and the tenant's directory settings.
/// An anchor must be a CA certificate (basic constraints CA) or self-signed; a recipient's leaf certificate is
/// not made an anchor by accident. Removing an anchor takes effect at the next usability check.
/// </summary>
public sealed class RecipientTrustAnchors(OmePortalDbContext db, AuditLog audit, TimeProvider time)
{
    public Task<List<RecipientTrustAnchorRecord>> ListAsync(Guid tenantId, CancellationToken cancellationToken) =>
        db.ForTenant(tenantId).RecipientTrustAnchors.AsNoTracking().OrderBy(a => a.Subject).ToListAsync(cancellationToken);

    public Task<RecipientTrustAnchorRecord?> GetAsync(Guid tenantId, string fingerprint, CancellationToken cancellationToken)
    {
        var normalized = RecipientKeyDirectory.NormalizeFingerprint(fingerprint);
        return db.ForTenant(tenantId).RecipientTrustAnchors.AsNoTracking().SingleOrDefaultAsync(a => a.Fingerprint == normalized, cancellationToken);
    }

    /// <summary>Adds every certificate in the file (all or none); one already present is left as it is.</summary>
    public async Task<TrustAnchorResult> AddAsync(Guid tenantId, ReadOnlyMemory<byte> file, string actor, CancellationToken cancellationToken)
    {
        var parsed = KeyFileParser.Parse(file.Span, KeyFileLimits.Default);
        switch (parsed)
        {
            case KeyFileResult.Refused refused:
                return new TrustAnchorResult.Refused(refused.Error == KeyFileError.TooLarge ? KeyImportError.TooLarge : KeyImportError.Malformed, refused.Detail);
            case KeyFileResult.Parsed { Keys: var keys } when keys.Any(k => k.Kind != ParsedKeyKind.Certificate):
                return new TrustAnchorResult.Refused(KeyImportError.NotARecipientKey, "A trust anchor is an X.509 CA certificate; OpenPGP keys have no trust anchors.");
        }

        var certificates = ((KeyFileResult.Parsed)parsed).Keys;
        var now = time.GetUtcNow();
        var added = new List<RecipientTrustAnchorRecord>();
        foreach (var certificate in certificates)
        {
            using var x509 = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.Data);
            var selfSigned = x509.SubjectName.RawData.AsSpan().SequenceEqual(x509.IssuerName.RawData);
            if (!certificate.IsCertificateAuthority && !selfSigned)
            {
                return new TrustAnchorResult.Refused(KeyImportError.NotARecipientKey, $"{x509.Subject} is neither a CA certificate nor self-signed; add the certificate of the CA that issued it.");
            }

            if (x509.NotAfter.ToUniversalTime() <= now.UtcDateTime)
            {
                return new TrustAnchorResult.Refused(KeyImportError.Expired, $"{x509.Subject} expired on {x509.NotAfter.ToUniversalTime():yyyy-MM-dd}.");
            }

            if (added.Any(a => a.Fingerprint == certificate.Fingerprint)
                || await db.ForTenant(tenantId).RecipientTrustAnchors.AnyAsync(a => a.Fingerprint == certificate.Fingerprint, cancellationToken))
            {
                continue;
            }

            added.Add(new RecipientTrustAnchorRecord
            {
                Id = Guid.CreateVersion7(now),
                TenantId = tenantId,
                Fingerprint = certificate.Fingerprint,
                Subject = x509.Subject.Length <= 500 ? x509.Subject : x509.Subject[..500],
                Certificate = certificate.Data,
                NotAfter = new DateTimeOffset(x509.NotAfter.ToUniversalTime()),
                AddedAt = now,
                AddedBy = actor.Length <= 320 ? actor : actor[..320],
            });
        }

        foreach (var anchor in added)
        {
            db.RecipientTrustAnchors.Add(anchor);
            audit.Add(tenantId, AuditEventKind.TrustAnchorAdded, actor, detail: $"{anchor.Fingerprint} {anchor.Subject}");
        }

        await db.SaveChangesAsync(cancellationToken);
        return new TrustAnchorResult.Added(added);
    }

    public async Task<bool> RemoveAsync(Guid tenantId, string fingerprint, string actor, CancellationToken cancellationToken)
    {
        var normalized = RecipientKeyDirectory.NormalizeFingerprint(fingerprint);
        var anchor = await db.ForTenant(tenantId).RecipientTrustAnchors.SingleOrDefaultAsync(a => a.Fingerprint == normalized, cancellationToken);
        if (anchor is null)
        {
            return false;
        }

        db.RecipientTrustAnchors.Remove(anchor);
        audit.Add(tenantId, AuditEventKind.TrustAnchorRemoved, actor, detail: $"{anchor.Fingerprint} {anchor.Subject}");
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async Task<RecipientKeySettingsRecord> GetSettingsAsync(Guid tenantId, CancellationToken cancellationToken) =>
        await db.ForTenant(tenantId).RecipientKeySettings.AsNoTracking().SingleOrDefaultAsync(cancellationToken)
        ?? new RecipientKeySettingsRecord { TenantId = tenantId };

    public async Task SaveSettingsAsync(Guid tenantId, bool allowSelfSigned, bool signNotifications, string actor, CancellationToken cancellationToken)
    {
        var settings = await db.ForTenant(tenantId).RecipientKeySettings.SingleOrDefaultAsync(cancellationToken);
        if (settings is null)
        {
            settings = new RecipientKeySettingsRecord { TenantId = tenantId };
            db.RecipientKeySettings.Add(settings);
        }

        if (settings.AllowSelfSigned == allowSelfSigned && settings.SignNotifications == signNotifications && db.Entry(settings).State != EntityState.Added)
        {
            return;
        }

        settings.AllowSelfSigned = allowSelfSigned;
        settings.SignNotifications = signNotifications;
        audit.Add(tenantId, AuditEventKind.RecipientKeySettingsChanged, actor, detail: $"allowSelfSigned={allowSelfSigned} signNotifications={signNotifications}");
        await db.SaveChangesAsync(cancellationToken);
    }
}
