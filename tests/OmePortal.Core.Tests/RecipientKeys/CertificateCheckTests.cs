using OmePortal.Core.RecipientKeys;
using OmePortal.Testing.Interop;

namespace OmePortal.Core.Tests.RecipientKeys;

/// <summary>Certificates made by openssl: accepted when usable, otherwise refused with the reason.</summary>
[Collection(RecipientKeysCollection.Name)]
public sealed class CertificateCheckTests(RecipientTestKeys keys)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private byte[][] Anchors => [Der(keys.CaPem)];

    [Fact]
    public void Check_LeafOfTrustedCa_IsUsable()
    {
        var check = CertificateCheck.Check(Der(keys.SmimePem), RecipientTestKeys.SmimeAddress, Anchors, allowSelfSigned: false, Now);

        Assert.Equal(KeyStatus.Usable, check.Status);
    }

    [Fact]
    public void Check_EcLeafWithKeyAgreement_IsRefusedUntilEcdhInteroperates()
    {
        var check = CertificateCheck.Check(Der(keys.SmimeEc), RecipientTestKeys.SmimeEcAddress, Anchors, false, Now);

        Assert.Equal(KeyStatus.NoEncryptionKey, check.Status);
        Assert.Contains("EC key", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NoTrustAnchors_IsUntrusted()
    {
        var check = CertificateCheck.Check(Der(keys.SmimePem), RecipientTestKeys.SmimeAddress, [], false, Now);

        Assert.Equal(KeyStatus.Untrusted, check.Status);
        Assert.Contains("no trust anchors", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LeafOfAnotherCa_IsUntrusted()
    {
        var check = CertificateCheck.Check(Der(keys.SmimeFromOtherCa), RecipientTestKeys.SmimeAddress, Anchors, false, Now);

        Assert.Equal(KeyStatus.Untrusted, check.Status);
        Assert.Contains("Some Other CA", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_OtherAddress_IsWrongAddress()
    {
        var check = CertificateCheck.Check(Der(keys.SmimePem), "mallory@example.test", Anchors, false, Now);

        Assert.Equal(KeyStatus.WrongAddress, check.Status);
        Assert.Contains(RecipientTestKeys.SmimeAddress, check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ExpiredCertificate_IsExpired()
    {
        var check = CertificateCheck.Check(Der(keys.SmimeExpired), RecipientTestKeys.SmimeAddress, Anchors, false, Now);

        Assert.Equal(KeyStatus.Expired, check.Status);
        Assert.Contains("2020-02-01", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_KeyUsageWithoutKeyEncipherment_IsNoEncryptionKey()
    {
        var check = CertificateCheck.Check(Der(keys.SmimeSignOnly), RecipientTestKeys.SmimeAddress, Anchors, false, Now);

        Assert.Equal(KeyStatus.NoEncryptionKey, check.Status);
        Assert.Contains("key encipherment", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SelfSigned_IsUntrustedUnlessAllowed()
    {
        var refused = CertificateCheck.Check(Der(keys.SelfSigned), RecipientTestKeys.SelfSignedAddress, Anchors, allowSelfSigned: false, Now);
        var allowed = CertificateCheck.Check(Der(keys.SelfSigned), RecipientTestKeys.SelfSignedAddress, Anchors, allowSelfSigned: true, Now);

        Assert.Equal(KeyStatus.Untrusted, refused.Status);
        Assert.Contains("self-signed", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(KeyStatus.Usable, allowed.Status);
    }

    [Fact]
    public void Check_IsDecidedAtTheTimeAsked()
    {
        // Usability is not stored: the same certificate is usable on its last day and expired after it.
        var later = Now.AddDays(29.9);
        Assert.Equal(KeyStatus.Usable, CertificateCheck.Check(Der(keys.SmimePem), RecipientTestKeys.SmimeAddress, Anchors, false, later).Status);
        Assert.Equal(KeyStatus.Expired, CertificateCheck.Check(Der(keys.SmimePem), RecipientTestKeys.SmimeAddress, Anchors, false, Now.AddDays(31)).Status);
    }

    internal static byte[] Der(byte[] pem)
    {
        var parsed = Assert.IsType<KeyFileResult.Parsed>(KeyFileParser.Parse(pem, KeyFileLimits.Default));
        return Assert.Single(parsed.Keys).Data;
    }
}
