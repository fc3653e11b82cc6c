using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace OmePortal.Testing.Interop;

/// <summary>
/// Keys and certificates for the recipient key directory, made once per test class by the tools people use:
/// GnuPG (<c>--quick-gen-key</c>, <c>--faked-system-time</c> for an expired key, its own revocation certificate,
/// <c>--quick-revoke-uid</c>) and OpenSSL (<c>req</c>, <c>x509 -req</c>, <c>ca -startdate/-enddate</c> for an expired
/// certificate, <c>crl2pkcs7</c>, <c>pkcs12 -export</c>). ed25519/cv25519 and P-256 keep it to about a second.
/// </summary>
public sealed class RecipientTestKeys : IDisposable
{
    public const string PgpAddress = "alice@example.test";
    public const string PgpSignOnlyAddress = "signonly@example.test";
    public const string PgpExpiredAddress = "expired-pgp@example.test";
    public const string PgpRevokedAddress = "revoked-pgp@example.test";
    public const string PgpUidAddress = "carol@example.test";
    public const string PgpRevokedUidAddress = "carol-old@example.test";
    public const string SmimeAddress = "bob@example.test";
    public const string SmimeEcAddress = "erin@example.test";
    public const string SelfSignedAddress = "self@example.test";
    public const string SigningPassphrase = "correct horse battery";
    public const string Pkcs12Password = "p12 secret";

    private readonly GnuPGHome _gpg;
    private readonly string _ssl;

    public RecipientTestKeys()
    {
        _gpg = GnuPGHome.Create();
        _ssl = Directory.CreateTempSubdirectory("ossl").FullName;

        PgpFingerprint = _gpg.GenerateKey($"Alice <{PgpAddress}>");
        PgpPublic = Armored(PgpFingerprint);
        PgpPublicBinary = _gpg.ExportPublicKey(PgpFingerprint);

        PgpForSmimeAddress = Armored(_gpg.GenerateKey($"Bob <{SmimeAddress}>"));

        var signOnly = _gpg.GenerateKey($"Sign Only <{PgpSignOnlyAddress}>", "ed25519");
        PgpSignOnly = Armored(signOnly);

        // gpg's own clock option: the key is made in 2020 with a one-year expiry, so it is expired today.
        _gpg.Gpg("--faked-system-time", "20200101T000000!", "--passphrase", "", "--pinentry-mode", "loopback",
            "--quick-gen-key", $"Expired <{PgpExpiredAddress}>", "future-default", "default", "1y");
        PgpExpired = Armored(FingerprintOf(PgpExpiredAddress));

        // Revoked with the revocation certificate gpg wrote when it made the key (openpgp-revocs.d/FPR.rev).
        var revoked = _gpg.GenerateKey($"Revoked <{PgpRevokedAddress}>");
        var revocation = File.ReadAllText(Path.Combine(_gpg.Directory, "openpgp-revocs.d", revoked + ".rev"))
            .Replace(":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", StringComparison.Ordinal);
        _gpg.Import(Encoding.ASCII.GetBytes(revocation));
        PgpRevoked = Armored(revoked);

        var carol = _gpg.GenerateKey($"Carol <{PgpUidAddress}>");
        _gpg.Gpg("--quick-add-uid", carol, $"Carol <{PgpRevokedUidAddress}>");
        _gpg.Gpg("--quick-revoke-uid", carol, $"Carol <{PgpRevokedUidAddress}>");
        PgpUidRevoked = Armored(carol);

        // A passphrase-protected secret key, exported as a person would for the signing identity upload.
        _gpg.Gpg("--passphrase", SigningPassphrase, "--pinentry-mode", "loopback", "--quick-gen-key", "Example Org <signing@example.test>", "future-default", "default", "never");
        SigningFingerprint = FingerprintOf("signing@example.test");
        PgpSigningSecret = _gpg.Gpg("--passphrase", SigningPassphrase, "--pinentry-mode", "loopback", "--armor", "--export-secret-keys", SigningFingerprint).Output;

        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", P("ca.key"), "-out", P("ca.pem"),
            "-subj", "/CN=Example Test CA", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", P("other-ca.key"), "-out", P("other-ca.pem"),
            "-subj", "/CN=Some Other CA", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");

        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", P("bob.key"), "-out", P("bob.csr"), "-subj", $"/CN=Bob/emailAddress={SmimeAddress}");
        File.WriteAllText(P("bob.ext"), $"subjectAltName=email:{SmimeAddress}\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n");
        OpenSsl("x509", "-req", "-in", P("bob.csr"), "-CA", P("ca.pem"), "-CAkey", P("ca.key"), "-set_serial", "2", "-days", "30", "-out", P("bob.pem"), "-extfile", P("bob.ext"));
        OpenSsl("x509", "-req", "-in", P("bob.csr"), "-CA", P("other-ca.pem"), "-CAkey", P("other-ca.key"), "-set_serial", "3", "-days", "30", "-out", P("bob-other.pem"), "-extfile", P("bob.ext"));
        File.WriteAllText(P("sign-only.ext"), $"subjectAltName=email:{SmimeAddress}\nkeyUsage=digitalSignature\n");
        OpenSsl("x509", "-req", "-in", P("bob.csr"), "-CA", P("ca.pem"), "-CAkey", P("ca.key"), "-set_serial", "4", "-days", "30", "-out", P("bob-sign-only.pem"), "-extfile", P("sign-only.ext"));

        OpenSsl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", P("erin.key"), "-out", P("erin.csr"), "-subj", "/CN=Erin");
        File.WriteAllText(P("erin.ext"), $"subjectAltName=email:{SmimeEcAddress}\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=emailProtection\n");
        OpenSsl("x509", "-req", "-in", P("erin.csr"), "-CA", P("ca.pem"), "-CAkey", P("ca.key"), "-set_serial", "5", "-days", "30", "-out", P("erin.pem"), "-extfile", P("erin.ext"));

        // Expired: openssl ca sets both ends of the validity window in the past.
        Directory.CreateDirectory(P("db"));
        File.WriteAllText(P("db/index.txt"), "");
        File.WriteAllText(P("db/serial"), "10\n");
        File.WriteAllText(P("ca.cnf"), $"[ ca ]\ndefault_ca = test\n[ test ]\ndatabase = {P("db/index.txt")}\nserial = {P("db/serial")}\nnew_certs_dir = {P("db")}\n" +
            "default_md = sha256\npolicy = any\nunique_subject = no\n[ any ]\ncommonName = supplied\nemailAddress = optional\n");
        OpenSsl("ca", "-batch", "-config", P("ca.cnf"), "-cert", P("ca.pem"), "-keyfile", P("ca.key"), "-in", P("bob.csr"), "-out", P("bob-expired.pem"),
            "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extfile", P("bob.ext"), "-notext");

        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", P("self.key"), "-out", P("self.pem"), "-days", "30",
            "-subj", $"/CN=Self/emailAddress={SelfSignedAddress}", "-addext", $"subjectAltName=email:{SelfSignedAddress}", "-addext", "keyUsage=digitalSignature,keyEncipherment");

        OpenSsl("x509", "-in", P("bob.pem"), "-outform", "DER", "-out", P("bob.der"));
        OpenSsl("crl2pkcs7", "-nocrl", "-certfile", P("bob.pem"), "-outform", "DER", "-out", P("bob.p7b"));
        OpenSsl("pkcs12", "-export", "-inkey", P("bob.key"), "-in", P("bob.pem"), "-passout", "pass:" + Pkcs12Password, "-out", P("bob.p12"));

        CaPem = File.ReadAllBytes(P("ca.pem"));
        OtherCaPem = File.ReadAllBytes(P("other-ca.pem"));
        SmimePem = File.ReadAllBytes(P("bob.pem"));
        SmimeDer = File.ReadAllBytes(P("bob.der"));
        SmimeP7b = File.ReadAllBytes(P("bob.p7b"));
        SmimeFromOtherCa = File.ReadAllBytes(P("bob-other.pem"));
        SmimeSignOnly = File.ReadAllBytes(P("bob-sign-only.pem"));
        SmimeExpired = File.ReadAllBytes(P("bob-expired.pem"));
        SmimeEc = File.ReadAllBytes(P("erin.pem"));
        SelfSigned = File.ReadAllBytes(P("self.pem"));
        SmimePkcs12 = File.ReadAllBytes(P("bob.p12"));
        SmimePrivateKeyPem = File.ReadAllBytes(P("bob.key"));
    }

    public string PgpFingerprint { get; }
    public byte[] PgpPublic { get; }
    public byte[] PgpPublicBinary { get; }
    /// <summary>An OpenPGP key for <see cref="SmimeAddress"/> (the address then has both kinds).</summary>
    public byte[] PgpForSmimeAddress { get; }
    public byte[] PgpSignOnly { get; }
    public byte[] PgpExpired { get; }
    public byte[] PgpRevoked { get; }

    /// <summary>Carol's key: the User ID for <see cref="PgpUidAddress"/> is valid, the one for <see cref="PgpRevokedUidAddress"/> revoked.</summary>
    public byte[] PgpUidRevoked { get; }
    public string SigningFingerprint { get; }

    /// <summary>Armored secret key protected by <see cref="SigningPassphrase"/>.</summary>
    public byte[] PgpSigningSecret { get; }
    public byte[] CaPem { get; }
    public byte[] OtherCaPem { get; }
    public byte[] SmimePem { get; }
    public byte[] SmimeDer { get; }
    public byte[] SmimeP7b { get; }
    public byte[] SmimeFromOtherCa { get; }
    public byte[] SmimeSignOnly { get; }
    public byte[] SmimeExpired { get; }

    /// <summary>A P-256 certificate with key agreement (EC S/MIME).</summary>
    public byte[] SmimeEc { get; }
    public byte[] SelfSigned { get; }

    /// <summary>Bob's certificate and key, protected by <see cref="Pkcs12Password"/>.</summary>
    public byte[] SmimePkcs12 { get; }
    public byte[] SmimePrivateKeyPem { get; }

    /// <summary>The GnuPG home holding every generated key (to decrypt or check with gpg).</summary>
    public GnuPGHome Gpg => _gpg;

    /// <summary>An ed25519 key whose primary carries <paramref name="count"/> self-certified User IDs, armored as gpg would (gpg needs a process per User ID).</summary>
    public static byte[] KeyWithUserIds(int count)
    {
        var pair = GenerateEd25519();
        var key = pair.PublicKey;
        for (var i = 0; i < count; i++)
        {
            var userId = $"User {i} <user{i}@example.test>";
            var generator = new PgpSignatureGenerator(PublicKeyAlgorithmTag.EdDsa_Legacy, HashAlgorithmTag.Sha256);
            generator.InitSign(PgpSignature.PositiveCertification, pair.PrivateKey);
            key = PgpPublicKey.AddCertification(key, userId, generator.GenerateCertification(userId, key));
        }

        using var output = new MemoryStream();
        using (var armor = new ArmoredOutputStream(output))
        {
            key.Encode(armor, forTransfer: true);
        }

        return output.ToArray();
    }

    public static PgpKeyPair GenerateEd25519()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        return new PgpKeyPair(PublicKeyAlgorithmTag.EdDsa_Legacy, generator.GenerateKeyPair(), DateTime.UtcNow);
    }

    private byte[] Armored(string fingerprint) => _gpg.Gpg("--armor", "--export", fingerprint).Output;

    private string FingerprintOf(string address) =>
        _gpg.Gpg("--with-colons", "--list-keys", address).OutputText.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];

    private string P(string name) => Path.Combine(_ssl, name);

    private static void OpenSsl(params string[] arguments) => ExternalTool.RunChecked("openssl", arguments);

    public void Dispose()
    {
        _gpg.Dispose();
        try
        {
            Directory.Delete(_ssl, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
