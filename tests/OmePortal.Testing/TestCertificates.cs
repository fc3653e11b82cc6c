using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OmePortal.Testing;

/// <summary>Self-signed certificates made in code, for client credentials and TLS in tests.</summary>
public static class TestCertificates
{
    /// <summary>An RSA certificate with its private key, valid from an hour ago for <paramref name="validFor"/> (a day by default).</summary>
    public static X509Certificate2 Create(string subject = "CN=OmePortal test client", int keySize = 2048, TimeSpan? validFor = null, DateTimeOffset? notBefore = null)
    {
        using var rsa = RSA.Create(keySize);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var from = notBefore ?? DateTimeOffset.UtcNow.AddHours(-1);
        using var created = request.CreateSelfSigned(from, from + (validFor ?? TimeSpan.FromDays(1)));
        // Re-imported so the private key is usable everywhere (CreateSelfSigned's key is ephemeral on some platforms).
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    }

    /// <summary>Writes the certificate with its private key as a password-protected .pfx and returns the path.</summary>
    public static string WritePfx(X509Certificate2 certificate, string directory, string password, string name = "signin.pfx")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    /// <summary>Writes only the public certificate (DER) and returns the path.</summary>
    public static string WritePublicOnly(X509Certificate2 certificate, string directory, string name = "signin.cer")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Cert));
        return path;
    }

    /// <summary>The certificate without its private key, as a provider holds it.</summary>
    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
}
