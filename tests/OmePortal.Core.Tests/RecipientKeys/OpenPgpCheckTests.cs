using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using OmePortal.Core.RecipientKeys;
using OmePortal.Testing.Interop;

namespace OmePortal.Core.Tests.RecipientKeys;

/// <summary>OpenPGP keys made by gpg: accepted when usable, otherwise refused with the reason.</summary>
[Collection(RecipientKeysCollection.Name)]
public sealed class OpenPgpCheckTests(RecipientTestKeys keys)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void Check_GpgQuickGenKey_IsUsable()
    {
        var check = OpenPgpCheck.Check(Single(keys.PgpPublic).Data, RecipientTestKeys.PgpAddress, Now);

        Assert.Equal(KeyStatus.Usable, check.Status);
    }

    [Fact]
    public void Check_AddressInOtherCase_IsUsable()
    {
        Assert.True(OpenPgpCheck.Check(Single(keys.PgpPublic).Data, "ALICE@Example.Test", Now).IsUsable);
    }

    [Fact]
    public void Check_OtherAddress_IsWrongAddress()
    {
        var check = OpenPgpCheck.Check(Single(keys.PgpPublic).Data, "mallory@example.test", Now);

        Assert.Equal(KeyStatus.WrongAddress, check.Status);
        Assert.Contains(RecipientTestKeys.PgpAddress, check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_KeyWithoutEncryptionSubkey_IsNoEncryptionKey()
    {
        var check = OpenPgpCheck.Check(Single(keys.PgpSignOnly).Data, RecipientTestKeys.PgpSignOnlyAddress, Now);

        Assert.Equal(KeyStatus.NoEncryptionKey, check.Status);
        Assert.Contains("encryption", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_KeyExpiredLastYear_IsExpired()
    {
        var check = OpenPgpCheck.Check(Single(keys.PgpExpired).Data, RecipientTestKeys.PgpExpiredAddress, Now);

        Assert.Equal(KeyStatus.Expired, check.Status);
        Assert.Contains("expired on 2020-12-31", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ExpiredKeyBeforeItsExpiry_IsUsable()
    {
        // The same key, asked about a moment in 2020: proves the expiry, not something else, refused it.
        var check = OpenPgpCheck.Check(Single(keys.PgpExpired).Data, RecipientTestKeys.PgpExpiredAddress, new DateTimeOffset(2020, 6, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(KeyStatus.Usable, check.Status);
    }

    [Fact]
    public void Check_KeyRevokedWithItsRevocationCertificate_IsRevoked()
    {
        var check = OpenPgpCheck.Check(Single(keys.PgpRevoked).Data, RecipientTestKeys.PgpRevokedAddress, Now);

        Assert.Equal(KeyStatus.Revoked, check.Status);
    }

    [Fact]
    public void Check_RevokedUserId_IsRevokedForThatAddressOnly()
    {
        var key = Single(keys.PgpUidRevoked).Data;

        Assert.Equal(KeyStatus.Revoked, OpenPgpCheck.Check(key, RecipientTestKeys.PgpRevokedUidAddress, Now).Status);
        Assert.Equal(KeyStatus.Usable, OpenPgpCheck.Check(key, RecipientTestKeys.PgpUidAddress, Now).Status);
    }

    [Fact]
    public void Check_UserIdWhoseSelfSignatureWasForged_IsNotUsable()
    {
        // A User ID added to a real key with a signature by another key: the address is not the key owner's.
        var ring = new PgpPublicKeyRing(Single(keys.PgpPublic).Data);
        var stranger = RecipientTestKeys.GenerateEd25519();
        var generator = new PgpSignatureGenerator(PublicKeyAlgorithmTag.EdDsa_Legacy, HashAlgorithmTag.Sha256);
        generator.InitSign(PgpSignature.PositiveCertification, stranger.PrivateKey);
        var primary = ring.GetPublicKey();
        var forged = PgpPublicKey.AddCertification(primary, "Mallory <mallory@example.test>", generator.GenerateCertification("Mallory <mallory@example.test>", primary));
        var tampered = PgpPublicKeyRing.InsertPublicKey(PgpPublicKeyRing.RemovePublicKey(ring, primary)!, forged);

        var check = OpenPgpCheck.Check(tampered, "mallory@example.test", Now);

        Assert.Equal(KeyStatus.WrongAddress, check.Status);
        Assert.Contains("no valid self-signature", check.Reason, StringComparison.Ordinal);
    }

    private static ParsedKey Single(byte[] file)
    {
        var parsed = Assert.IsType<KeyFileResult.Parsed>(KeyFileParser.Parse(file, KeyFileLimits.Default));
        return Assert.Single(parsed.Keys);
    }
}
