using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;
using OmePortal.Core.Mime;

namespace OmePortal.Core.RecipientKeys;

/// <summary>
/// Reads uploaded key files: X.509 certificates (DER or PEM, one or many, and PKCS#7 .p7b bundles) and
/// OpenPGP public keys (binary or ASCII armored, one or many). The parsing is BouncyCastle's; this class
/// only decides which parser a file is for, applies <see cref="KeyFileLimits"/>, and refuses a whole file
/// when anything in it is wrong, so an upload never half-succeeds.
/// </summary>
public static class KeyFileParser
{
    private const string MalformedDetail = "The file is not a certificate (.cer, .pem, .p7b) or an OpenPGP public key (.asc, .gpg) that can be read.";

    public static KeyFileResult Parse(ReadOnlySpan<byte> data, KeyFileLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (data.Length > limits.MaxBytes)
        {
            return Refuse(KeyFileError.TooLarge, $"The file is {data.Length:N0} bytes; a key file may be at most {limits.MaxBytes:N0} bytes.");
        }

        var start = SkipWhitespace(data);
        if (start.IsEmpty)
        {
            return Refuse(KeyFileError.Empty, "The file is empty.");
        }

        try
        {
            return LooksLikeOpenPgp(start) ? ParseOpenPgp(data.ToArray(), limits) : ParseCertificates(data.ToArray(), limits);
        }
        catch (Exception ex) when (ex is IOException or PgpException or CertificateException or ArgumentException or InvalidOperationException
            or CryptographicException or FormatException or EndOfStreamException or InvalidCastException or Org.BouncyCastle.Crypto.CryptoException
            or IndexOutOfRangeException or OverflowException or NotSupportedException)
        {
            return Refuse(KeyFileError.Malformed, MalformedDetail);
        }
    }

    /// <summary>Armor says so; otherwise a binary OpenPGP packet has its top bit set, and DER starts with a SEQUENCE (0x30).</summary>
    private static bool LooksLikeOpenPgp(ReadOnlySpan<byte> start) =>
        start.StartsWith("-----BEGIN PGP"u8) || (start[0] & 0x80) != 0;

    private static ReadOnlySpan<byte> SkipWhitespace(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return data[i..];
    }

    private static KeyFileResult ParseCertificates(byte[] data, KeyFileLimits limits)
    {
        if (IsPkcs12(data))
        {
            return Refuse(KeyFileError.ContainsSecretKey, "The file holds a private key (PKCS#12); upload only the certificate.");
        }

        if (Encoding.ASCII.GetString(data).Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return Refuse(KeyFileError.ContainsSecretKey, "The file holds a private key; upload only the certificate.");
        }

        var certificates = new X509CertificateParser().ReadCertificates(data);
        if (certificates.Count == 0)
        {
            return Refuse(KeyFileError.Malformed, MalformedDetail);
        }

        if (certificates.Count > limits.MaxKeys)
        {
            return Refuse(KeyFileError.TooManyKeys, $"The file holds {certificates.Count} certificates; at most {limits.MaxKeys} are read from one file.");
        }

        var keys = new List<ParsedKey>(certificates.Count);
        foreach (var certificate in certificates)
        {
            var der = certificate.GetEncoded();
            var addresses = CertificateNames.Addresses(certificate);
            keys.Add(new ParsedKey(
                ParsedKeyKind.Certificate,
                Convert.ToHexString(SHA256.HashData(der)),
                der,
                addresses,
                certificate.SubjectDN.ToString(),
                new DateTimeOffset(DateTime.SpecifyKind(certificate.NotAfter, DateTimeKind.Utc)),
                certificate.GetBasicConstraints() >= 0));
        }

        return new KeyFileResult.Parsed(keys);
    }

    /// <summary>A PKCS#12 PFX is a SEQUENCE whose first element is INTEGER 3 (its version).</summary>
    private static bool IsPkcs12(byte[] data)
    {
        try
        {
            var sequence = Org.BouncyCastle.Asn1.Asn1Sequence.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(data));
            return sequence.Count >= 2
                && sequence[0] is Org.BouncyCastle.Asn1.DerInteger version && version.HasValue(3)
                && sequence[1] is Org.BouncyCastle.Asn1.Asn1Sequence;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static KeyFileResult ParseOpenPgp(byte[] data, KeyFileLimits limits)
    {
        using var input = PgpUtilities.GetDecoderStream(new MemoryStream(data, writable: false));
        var factory = new PgpObjectFactory(input);
        var keys = new List<ParsedKey>();
        PgpObject? next;
        while ((next = factory.NextPgpObject()) is not null)
        {
            switch (next)
            {
                case PgpPublicKeyRing ring:
                    if (keys.Count == limits.MaxKeys)
                    {
                        return Refuse(KeyFileError.TooManyKeys, $"The file holds more than {limits.MaxKeys} keys.");
                    }

                    var primary = ring.GetPublicKey();
                    var userIds = primary.GetUserIds().ToList();
                    if (userIds.Count > limits.MaxUserIds)
                    {
                        return Refuse(KeyFileError.TooManyUserIds, $"The key has {userIds.Count:N0} User IDs; at most {limits.MaxUserIds} are accepted.");
                    }

                    var validSeconds = primary.GetValidSeconds();
                    keys.Add(new ParsedKey(
                        ParsedKeyKind.OpenPgp,
                        Convert.ToHexString(primary.GetFingerprint()),
                        ring.GetEncoded(),
                        [.. userIds.Select(OpenPgpNames.AddressOf).OfType<string>().Distinct(StringComparer.Ordinal)],
                        userIds.FirstOrDefault() ?? "",
                        validSeconds > 0 ? new DateTimeOffset(DateTime.SpecifyKind(primary.CreationTime, DateTimeKind.Utc)).AddSeconds(validSeconds) : null,
                        IsCertificateAuthority: false));
                    break;
                case PgpSecretKeyRing:
                    return Refuse(KeyFileError.ContainsSecretKey, "The file holds an OpenPGP secret key; export and upload only the public key (gpg --export --armor).");
                case PgpMarker:
                    break;
                default:
                    return Refuse(KeyFileError.Malformed, "The file holds OpenPGP data that is not a public key.");
            }
        }

        return keys.Count == 0
            ? Refuse(KeyFileError.Malformed, "The file holds no OpenPGP public key.")
            : new KeyFileResult.Parsed(keys);
    }

    private static KeyFileResult.Refused Refuse(KeyFileError error, string detail) => new(error, detail);
}

/// <summary>The addresses an X.509 certificate names for e-mail: rfc822Name subject alternative names and the subject's emailAddress.</summary>
public static class CertificateNames
{
    private const int Rfc822Name = 1;

    public static IReadOnlyList<string> Addresses(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var addresses = new List<string>();
        var alternatives = certificate.GetSubjectAlternativeNames();
        if (alternatives is not null)
        {
            foreach (var entry in alternatives)
            {
                if (entry.Count >= 2 && entry[0] is int tag && tag == Rfc822Name && entry[1] is string value)
                {
                    addresses.Add(AddressNormalizer.Normalize(value));
                }
            }
        }

        foreach (var value in certificate.SubjectDN.GetValueList(Org.BouncyCastle.Asn1.X509.X509Name.EmailAddress))
        {
            addresses.Add(AddressNormalizer.Normalize(value));
        }

        return [.. addresses.Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>The address in an OpenPGP User ID ("Name &lt;address&gt;" or a bare address), normalised.</summary>
public static class OpenPgpNames
{
    public static string? AddressOf(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var open = userId.LastIndexOf('<');
        var close = userId.LastIndexOf('>');
        var candidate = open >= 0 && close > open ? userId[(open + 1)..close] : userId.Trim();
        var normalized = AddressNormalizer.Normalize(candidate);
        return AddressNormalizer.IsValid(normalized) ? normalized : null;
    }
}
