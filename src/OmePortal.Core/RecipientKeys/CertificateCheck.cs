using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OmePortal.Core.Mime;

namespace OmePortal.Core.RecipientKeys;

/// <summary>
/// Whether an S/MIME certificate may be used to encrypt to an address now: within its validity, naming
/// the address, allowing encryption (key usage, extended key usage), and chaining to one of the tenant's
/// trust anchors (a self-signed certificate only when the tenant allows it). The chain is built by .NET
/// against the anchors only (never the machine's root store). Revocation is not checked: the portal makes
/// no outbound CRL or OCSP requests; an admin removes a certificate that its owner revoked.
/// </summary>
public static class CertificateCheck
{
    private const string EmailProtection = "1.3.6.1.5.5.7.3.4";
    private const string AnyExtendedKeyUsage = "2.5.29.37.0";
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    public static KeyCheck Check(byte[] certificateDer, string address, IReadOnlyCollection<byte[]> trustAnchors, bool allowSelfSigned, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificateDer);
        ArgumentNullException.ThrowIfNull(trustAnchors);
        using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        var parsed = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(certificateDer);
        var normalized = AddressNormalizer.Normalize(address);

        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (now < notBefore)
        {
            return new KeyCheck(KeyStatus.Expired, $"The certificate is not valid before {notBefore:yyyy-MM-dd HH:mm} UTC.");
        }

        if (now > notAfter)
        {
            return new KeyCheck(KeyStatus.Expired, $"The certificate expired on {notAfter:yyyy-MM-dd HH:mm} UTC.");
        }

        var names = CertificateNames.Addresses(parsed);
        if (!names.Contains(normalized, StringComparer.Ordinal))
        {
            return new KeyCheck(KeyStatus.WrongAddress, names.Count == 0
                ? "The certificate names no e-mail address."
                : $"The certificate is for {string.Join(", ", names)}, not {normalized}.");
        }

        if (EncryptionRefusal(certificate) is { } refusal)
        {
            return new KeyCheck(KeyStatus.NoEncryptionKey, refusal);
        }

        return TrustOf(certificate, trustAnchors, allowSelfSigned, now);
    }

    private static string? EncryptionRefusal(X509Certificate2 certificate)
    {
        var algorithm = certificate.PublicKey.Oid.Value;
        if (algorithm is not (RsaOid or EcOid))
        {
            return $"The certificate's key ({certificate.PublicKey.Oid.FriendlyName ?? algorithm}) cannot be used for S/MIME encryption; RSA or EC is needed.";
        }

        if (algorithm == EcOid)
        {
            // An EC key is encrypted to by key agreement (ECDH), and the ECDH envelopes BouncyCastle (under MimeKit)
            // writes do not decrypt in OpenSSL (the key-wrap algorithm inside the KDF input is encoded differently);
            // a recipient must never get mail their program cannot open, so EC certificates wait for that fix and
            // the address is served by the portal meanwhile (EndToEndComposerInteropTests keeps checking it).
            return "The certificate has an EC key: end-to-end mail to EC (key agreement) certificates is not supported yet, so this address is served by the portal. An RSA certificate can be used.";
        }

        if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage)
        {
            var needed = algorithm == RsaOid ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.KeyAgreement;
            if ((usage.KeyUsages & needed) == 0)
            {
                return $"The certificate's key usage ({usage.KeyUsages}) does not allow {(algorithm == RsaOid ? "key encipherment" : "key agreement")}.";
            }
        }

        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } enhanced)
        {
            var purposes = enhanced.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToList();
            if (!purposes.Contains(EmailProtection) && !purposes.Contains(AnyExtendedKeyUsage))
            {
                return "The certificate's extended key usage does not include e-mail protection.";
            }
        }

        return null;
    }

    private static KeyCheck TrustOf(X509Certificate2 certificate, IReadOnlyCollection<byte[]> trustAnchors, bool allowSelfSigned, DateTimeOffset now)
    {
        var selfSigned = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
        var anchors = new X509Certificate2Collection();
        try
        {
            foreach (var der in trustAnchors)
            {
                anchors.Add(X509CertificateLoader.LoadCertificate(der));
            }

            if (ChainsTo(certificate, anchors, now))
            {
                return KeyCheck.Usable(selfSigned ? "The certificate is itself a trust anchor of the tenant." : "The certificate chains to a trust anchor of the tenant.");
            }

            if (selfSigned)
            {
                if (!allowSelfSigned)
                {
                    return new KeyCheck(KeyStatus.Untrusted, "The certificate is self-signed and the tenant does not accept self-signed certificates.");
                }

                return SignsItself(certificate.RawData)
                    ? KeyCheck.Usable("Self-signed, accepted because the tenant allows self-signed certificates.")
                    : new KeyCheck(KeyStatus.Untrusted, "The certificate is self-signed but its signature does not verify.");
            }

            return new KeyCheck(KeyStatus.Untrusted, anchors.Count == 0
                ? "The tenant has no trust anchors; add the issuing CA's certificate as a trust anchor."
                : $"The certificate (issued by {certificate.Issuer}) does not chain to a trust anchor of the tenant.");
        }
        finally
        {
            foreach (var anchor in anchors)
            {
                anchor.Dispose();
            }
        }
    }

    /// <summary>A self-signed certificate is no CA, so a chain with it as the root fails on basic constraints; its own signature is what counts.</summary>
    private static bool SignsItself(byte[] der)
    {
        var parsed = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(der);
        try
        {
            parsed.Verify(parsed.GetPublicKey());
            return true;
        }
        catch (Exception ex) when (ex is Org.BouncyCastle.Security.GeneralSecurityException or Org.BouncyCastle.Crypto.CryptoException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection anchors, DateTimeOffset now)
    {
        if (anchors.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.ExtraStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        return chain.Build(certificate);
    }
}
