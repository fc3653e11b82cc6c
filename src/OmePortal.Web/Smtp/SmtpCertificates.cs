using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OmePortal.Web.Smtp;

/// <summary>
/// The STARTTLS certificate: the configured PKCS#12 file, else a self-signed one generated on first
/// run under the data directory (owner-only permissions) and reused on every later start.
/// </summary>
internal static class SmtpCertificates
{
    public static X509Certificate2 Load(SmtpGatewayOptions options, string dataDirectory, TimeProvider time, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            var path = Path.GetFullPath(Path.Combine(dataDirectory, options.CertificatePath));
            var configured = X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
            if (!configured.HasPrivateKey)
            {
                configured.Dispose();
                throw new InvalidOperationException($"The SMTP certificate {path} has no private key.");
            }

            return configured;
        }

        return LoadOrCreateGenerated(Path.Combine(dataDirectory, SmtpGatewayOptions.GeneratedCertificateFileName), options, time, logger);
    }

    private static X509Certificate2 LoadOrCreateGenerated(string path, SmtpGatewayOptions options, TimeProvider time, ILogger logger)
    {
        if (File.Exists(path))
        {
            try
            {
                RestrictToOwner(path);
                var existing = X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
                if (existing.HasPrivateKey && existing.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime.AddDays(1))
                {
                    return existing;
                }

                existing.Dispose();
                SmtpLog.CertificateReplaced(logger, path, null);
            }
            catch (CryptographicException exception)
            {
                SmtpLog.CertificateReplaced(logger, path, exception);
            }
        }

        var pfx = CreateSelfSigned(options, time);
        Write(path, pfx);
        var certificate = X509CertificateLoader.LoadPkcs12(pfx, password: null);
        SmtpLog.CertificateGenerated(logger, certificate.Thumbprint, path);
        return certificate;
    }

    /// <summary>A 5-year RSA-2048 server certificate for the server name, localhost and the loopback addresses, as PKCS#12 bytes.</summary>
    public static byte[] CreateSelfSigned(SmtpGatewayOptions options, TimeProvider time)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(
            new X500DistinguishedName($"CN={options.ServerName}"), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.DigitalSignature
            | System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(options.ServerName);
        if (!string.Equals(options.ServerName, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            names.AddDnsName("localhost");
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (options.ListenAddress() is { } listen && !IPAddress.IsLoopback(listen) && !listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any))
        {
            names.AddIpAddress(listen);
        }

        request.CertificateExtensions.Add(names.Build());

        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        return certificate.Export(X509ContentType.Pkcs12);
    }

    /// <summary>Written to a temporary owner-only file, fsynced, then renamed, so a crash never leaves half a key.</summary>
    private static void Write(string path, byte[] pfx)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var file = new FileStream(temp, fileOptions))
            {
                file.Write(pfx);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static void RestrictToOwner(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if ((File.GetUnixFileMode(path) & ~ownerOnly) != 0)
        {
            File.SetUnixFileMode(path, ownerOnly);
        }
    }
}
