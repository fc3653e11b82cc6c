using System.Text;
using OmePortal.Core.RecipientKeys;
using OmePortal.Testing.Interop;

namespace OmePortal.Core.Tests.RecipientKeys;

/// <summary>Every file format a key arrives in, and files that must be refused whole.</summary>
[Collection(RecipientKeysCollection.Name)]
public sealed class KeyFileParserTests(RecipientTestKeys keys)
{
    [Fact]
    public void Parse_PemDerAndP7b_GiveTheSameCertificate()
    {
        var pem = Single(keys.SmimePem);
        var der = Single(keys.SmimeDer);
        var p7b = Single(keys.SmimeP7b);

        Assert.Equal(ParsedKeyKind.Certificate, pem.Kind);
        Assert.Equal(pem.Fingerprint, der.Fingerprint);
        Assert.Equal(pem.Fingerprint, p7b.Fingerprint);
        Assert.Equal([RecipientTestKeys.SmimeAddress], pem.Addresses);
        Assert.Equal(64, pem.Fingerprint.Length);
        Assert.False(pem.IsCertificateAuthority);
    }

    [Fact]
    public void Parse_CaCertificate_IsMarkedAsAuthority()
    {
        Assert.True(Single(keys.CaPem).IsCertificateAuthority);
    }

    [Fact]
    public void Parse_ArmoredAndBinaryGpgExport_GiveTheSameKey()
    {
        var armored = Single(keys.PgpPublic);
        var binary = Single(keys.PgpPublicBinary);

        Assert.Equal(ParsedKeyKind.OpenPgp, armored.Kind);
        Assert.Equal(keys.PgpFingerprint, armored.Fingerprint);
        Assert.Equal(armored.Fingerprint, binary.Fingerprint);
        Assert.Equal([RecipientTestKeys.PgpAddress], armored.Addresses);
    }

    [Fact]
    public void Parse_GpgExportOfTwoKeys_GivesBoth()
    {
        var both = keys.Gpg.Gpg("--armor", "--export", RecipientTestKeys.PgpAddress, RecipientTestKeys.PgpSignOnlyAddress).Output;

        var parsed = Assert.IsType<KeyFileResult.Parsed>(KeyFileParser.Parse(both, KeyFileLimits.Default));

        Assert.Equal(2, parsed.Keys.Count);
    }

    [Theory]
    [InlineData("not a key at all")]
    [InlineData("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGVzZXJ0aGlzaXNub3RhcGdwa2V5\n-----END PGP PUBLIC KEY BLOCK-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIBbroken\n-----END CERTIFICATE-----\n")]
    public void Parse_MalformedFile_IsRefusedAsMalformed(string content)
    {
        var refused = Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse(Encoding.ASCII.GetBytes(content), KeyFileLimits.Default));

        Assert.Equal(KeyFileError.Malformed, refused.Error);
        Assert.Contains(".asc", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TruncatedGpgExport_IsRefusedAsMalformed()
    {
        var truncated = keys.PgpPublicBinary[..(keys.PgpPublicBinary.Length / 2)];

        Assert.Equal(KeyFileError.Malformed, Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse(truncated, KeyFileLimits.Default)).Error);
    }

    [Fact]
    public void Parse_EmptyFile_IsRefused()
    {
        Assert.Equal(KeyFileError.Empty, Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse("  \n"u8, KeyFileLimits.Default)).Error);
    }

    [Fact]
    public void Parse_TenMegabyteAsc_IsRefusedBeforeParsing()
    {
        var huge = new byte[10 * 1024 * 1024];
        Encoding.ASCII.GetBytes("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n").CopyTo(huge, 0);
        huge.AsSpan(40).Fill((byte)'A');

        var refused = Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse(huge, KeyFileLimits.Default));

        Assert.Equal(KeyFileError.TooLarge, refused.Error);
        Assert.Contains("10,485,760", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeyWithThousandUserIds_IsRefused()
    {
        var refused = Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse(RecipientTestKeys.KeyWithUserIds(1000), KeyFileLimits.Default));

        Assert.Equal(KeyFileError.TooManyUserIds, refused.Error);
        Assert.Contains("1,000", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeyWithFewUserIds_IsRead()
    {
        // The same construction below the limit is read, so the refusal above is the count, not the construction.
        var parsed = Assert.IsType<KeyFileResult.Parsed>(KeyFileParser.Parse(RecipientTestKeys.KeyWithUserIds(3), KeyFileLimits.Default));

        Assert.Equal(3, Assert.Single(parsed.Keys).Addresses.Count);
    }

    [Fact]
    public void Parse_GpgSecretKey_IsRefused()
    {
        var refused = Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse(keys.PgpSigningSecret, KeyFileLimits.Default));

        Assert.Equal(KeyFileError.ContainsSecretKey, refused.Error);
    }

    [Fact]
    public void Parse_Pkcs12OrPrivateKeyPem_IsRefused()
    {
        Assert.Equal(KeyFileError.ContainsSecretKey, Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse(keys.SmimePkcs12, KeyFileLimits.Default)).Error);
        var withKey = keys.SmimePem.Concat(keys.SmimePrivateKeyPem).ToArray();
        Assert.Equal(KeyFileError.ContainsSecretKey, Assert.IsType<KeyFileResult.Refused>(KeyFileParser.Parse(withKey, KeyFileLimits.Default)).Error);
    }

    private ParsedKey Single(byte[] file) =>
        Assert.Single(Assert.IsType<KeyFileResult.Parsed>(KeyFileParser.Parse(file, KeyFileLimits.Default)).Keys);
}
