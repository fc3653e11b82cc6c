using System.Security.Cryptography.X509Certificates;

namespace OmePortal.Testing.Interop;

/// <summary>
/// Keys made once per test class by the independent tools: the recipient's OpenPGP key and the tenant's
/// OpenPGP signing key by <c>gpg --quick-gen-key</c>, S/MIME certificates from a CA made in code.
/// The recipient's GnuPG home also holds the tenant's public key, so gpg can check signatures.
/// </summary>
public sealed class InteropKeys : IDisposable
{
    public const string PgpRecipient = "pgp.recipient@example.net";
    public const string SMimeRecipientAddress = "smime.recipient@example.net";
    public const string TenantAddress = "secure@contoso.test";

    public InteropKeys()
    {
        Recipient = GnuPGHome.Create();
        var recipientFingerprint = Recipient.GenerateKey($"PGP Recipient <{PgpRecipient}>");
        RecipientPublicKey = Recipient.ExportPublicKey(recipientFingerprint);

        using (var tenant = GnuPGHome.Create())
        {
            var tenantFingerprint = tenant.GenerateKey($"Contoso <{TenantAddress}>");
            TenantSecretKey = tenant.ExportSecretKey(tenantFingerprint);
            Recipient.Import(tenant.ExportPublicKey(tenantFingerprint));
        }

        Pki = new SMimeTestPki();
        SMimeRecipient = Pki.Issue(SMimeRecipientAddress);
        TenantCertificate = Pki.Issue(TenantAddress);
    }

    public GnuPGHome Recipient { get; }

    public byte[] RecipientPublicKey { get; }

    public byte[] TenantSecretKey { get; }

    public SMimeTestPki Pki { get; }

    public X509Certificate2 SMimeRecipient { get; }

    public X509Certificate2 TenantCertificate { get; }

    public byte[] SMimeRecipientDer => SMimeRecipient.Export(X509ContentType.Cert);

    public void Dispose()
    {
        Recipient.Dispose();
        SMimeRecipient.Dispose();
        TenantCertificate.Dispose();
        Pki.Dispose();
    }
}
