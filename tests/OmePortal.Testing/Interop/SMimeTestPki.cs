using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OmePortal.Testing.Interop;

/// <summary>
/// A certificate authority made in code that issues S/MIME certificates (RSA 2048, naming one address),
/// and the OpenSSL side of the check: <c>openssl cms -decrypt</c> and <c>openssl cms -verify</c>.
/// </summary>
public sealed class SMimeTestPki : IDisposable
{
    private readonly RSA authorityKey = RSA.Create(2048);

    public SMimeTestPki(string name = "OmePortal Test S/MIME CA")
    {
        var request = new CertificateRequest($"CN={name}", authorityKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2));
        Directory = System.IO.Directory.CreateTempSubdirectory("smime").FullName;
        AuthorityPemPath = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(AuthorityPemPath, Authority.ExportCertificatePem());
    }

    public X509Certificate2 Authority { get; }

    public string Directory { get; }

    public string AuthorityPemPath { get; }

    /// <summary>An end-entity certificate with its private key, for encryption and signing mail of <paramref name="address"/>.</summary>
    public X509Certificate2 Issue(string address)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={address}, E={address}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.4")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddEmailAddress(address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddYears(1), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Re-imported so the private key is usable everywhere (and exportable for the OpenSSL files).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), password: null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>
    /// An end-entity certificate on a P-256 key for <paramref name="address"/>: an EC key cannot be encrypted to
    /// directly, so its key usage is key agreement (mail to it goes by ECDH), as mail clients issue them.
    /// </summary>
    public X509Certificate2 IssueEc(string address)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={address}, E={address}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.4")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddEmailAddress(address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        // The authority's key is RSA and this one EC: the signature generator is named, not taken from the issuer.
        using var issued = request.Create(
            Authority.SubjectName, X509SignatureGenerator.CreateForRSA(authorityKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddYears(1), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), password: null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>Decrypts an S/MIME enveloped message with the recipient's certificate and key; returns the inner MIME.</summary>
    public byte[] Decrypt(byte[] message, X509Certificate2 recipient)
    {
        var (certificatePath, keyPath) = WriteCredentials(recipient);
        return ExternalTool.RunChecked("openssl", ["cms", "-decrypt", "-recip", certificatePath, "-inkey", keyPath], message).Output;
    }

    /// <summary>Verifies a multipart/signed (or opaque) S/MIME entity against this authority; returns the signed content.</summary>
    public byte[] Verify(byte[] signed) =>
        ExternalTool.RunChecked("openssl", ["cms", "-verify", "-CAfile", AuthorityPemPath], signed).Output;

    private (string Certificate, string Key) WriteCredentials(X509Certificate2 certificate)
    {
        var certificatePath = Path.Combine(Directory, certificate.Thumbprint + ".pem");
        var keyPath = Path.Combine(Directory, certificate.Thumbprint + ".key");
        if (!File.Exists(keyPath))
        {
            File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
            using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? certificate.GetECDsaPrivateKey()
                ?? throw new InvalidOperationException("The certificate has no RSA or EC private key.");
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        }

        return (certificatePath, keyPath);
    }

    public void Dispose()
    {
        Authority.Dispose();
        authorityKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
