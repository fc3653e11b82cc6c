using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using OmePortal.Core.EndToEnd;
using OmePortal.Testing.Interop;
using static OmePortal.Core.Tests.Mime.MimeTestData;

namespace OmePortal.Core.Tests.EndToEnd;

/// <summary>
/// What the composer sends is opened by independent software, never by MimeKit reading its own output:
/// Debian's gpg (a throwaway home holding the recipient's secret key) and openssl cms. The sample has a
/// UTF-8 subject and body, an HTML part, an inline image and a PDF attachment.
/// </summary>
public sealed class EndToEndComposerInteropTests(InteropKeys keys) : IClassFixture<InteropKeys>
{
    private const string Sample = "01-dutch-policy-inline-logo-pdf.eml";

    private EndToEndSigner Signer => new(keys.TenantCertificate, keys.TenantSecretKey);

    [Fact]
    public void SMime_Signed_OpenSslDecryptsAndVerifiesTheOriginalContent()
    {
        var original = Original();
        var sent = EndToEndComposer.EncryptFor(Original(), DeliveryMethod.SMime, keys.SMimeRecipientDer, Signer);

        Assert.IsType<ApplicationPkcs7Mime>(sent.Body);
        Assert.Equal(original.Subject, sent.Subject);
        var inner = keys.Pki.Decrypt(Bytes(sent), keys.SMimeRecipient);
        Assert.Contains("multipart/signed", Encoding.ASCII.GetString(inner[..Math.Min(inner.Length, 400)]), StringComparison.OrdinalIgnoreCase);
        var content = keys.Pki.Verify(inner);

        Assert.Equal(MimeLeaves.Of(original.Body), MimeLeaves.Of(content), MimeLeafComparer.Instance);
    }

    [Fact]
    public void SMime_UsesAes256AndRsaOaep()
    {
        var sent = EndToEndComposer.EncryptFor(Original(), DeliveryMethod.SMime, keys.SMimeRecipientDer, signer: null);

        var structure = ExternalTool.RunChecked("openssl", ["cms", "-cmsout", "-print"], Bytes(sent)).OutputText;
        Assert.Contains("aes-256-cbc", structure, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("rsaesOaep", structure, StringComparison.Ordinal);
        var content = keys.Pki.Decrypt(Bytes(sent), keys.SMimeRecipient);
        Assert.Equal(MimeLeaves.Of(Original().Body), MimeLeaves.Of(content), MimeLeafComparer.Instance);
    }

    [Fact]
    public void SMime_EcCertificate_IsRefusedInsteadOfSentUndecryptable()
    {
        using var recipient = keys.Pki.IssueEc("ec.reader@example.net");

        Assert.Throws<EndToEndKeyException>(() => EndToEndComposer.EncryptFor(Original(), DeliveryMethod.SMime, recipient.RawData, Signer));
    }

    /// <summary>
    /// Why EC certificates are refused: an ECDH envelope written by MimeKit on BouncyCastle does not decrypt in
    /// OpenSSL. When a library update makes this pass, this test fails on purpose: then EC certificates can be
    /// allowed in CertificateCheck and EndToEndComposer.
    /// </summary>
    [Fact]
    public void BouncyCastleEcdhEnvelope_StillDoesNotDecryptInOpenSsl()
    {
        using var recipient = keys.Pki.IssueEc("ec.canary@example.net");
        var certificate = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(recipient.RawData);
        using var context = new TemporarySecureMimeContext();
        var envelope = ApplicationPkcs7Mime.Encrypt(
            context,
            new CmsRecipientCollection { new CmsRecipient(certificate) { EncryptionAlgorithms = [EncryptionAlgorithm.Aes256] } },
            new TextPart("plain") { Text = "canary" });
        var sent = new MimeMessage { Body = envelope };

        Assert.Contains("d.kari", ExternalTool.RunChecked("openssl", ["cms", "-cmsout", "-print"], Bytes(sent)).OutputText, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => keys.Pki.Decrypt(Bytes(sent), recipient));
    }

    [Fact]
    public void SMime_OtherRecipientsKey_CannotDecrypt()
    {
        using var stranger = keys.Pki.Issue("stranger@example.net");
        var sent = EndToEndComposer.EncryptFor(Original(), DeliveryMethod.SMime, keys.SMimeRecipientDer, Signer);

        Assert.Throws<InvalidOperationException>(() => keys.Pki.Decrypt(Bytes(sent), stranger));
    }

    [Fact]
    public void PgpMime_SignedAndEncrypted_GpgDecryptsTheOriginalAndVerifiesTheTenant()
    {
        var original = Original();
        var sent = EndToEndComposer.EncryptFor(Original(), DeliveryMethod.PgpMime, keys.RecipientPublicKey, Signer);

        var encrypted = Assert.IsType<MultipartEncrypted>(sent.Body);
        Assert.Equal("application/pgp-encrypted", encrypted.ContentType.Parameters["protocol"]);
        var decryption = keys.Recipient.Decrypt(MimeLeaves.Decoded(encrypted[1]));

        Assert.True(decryption.GoodSignature, decryption.Status);
        Assert.Contains("[GNUPG:] DECRYPTION_OKAY", decryption.Status, StringComparison.Ordinal);
        // Symmetric algorithm 9 is AES-256 (RFC 4880 §9.2).
        Assert.Contains("[GNUPG:] DECRYPTION_INFO 2 9", decryption.Status, StringComparison.Ordinal);
        Assert.Equal(MimeLeaves.Of(original.Body), MimeLeaves.Of(decryption.Plaintext), MimeLeafComparer.Instance);
    }

    [Fact]
    public void PgpMime_WithoutSigner_IsEncryptedOnly()
    {
        var sent = EndToEndComposer.EncryptFor(Original(), DeliveryMethod.PgpMime, keys.RecipientPublicKey, signer: null);

        var decryption = keys.Recipient.Decrypt(MimeLeaves.Decoded(Assert.IsType<MultipartEncrypted>(sent.Body)[1]));
        Assert.DoesNotContain("GOODSIG", decryption.Status, StringComparison.Ordinal);
        Assert.Equal(MimeLeaves.Of(Original().Body), MimeLeaves.Of(decryption.Plaintext), MimeLeafComparer.Instance);
    }

    [Fact]
    public void PgpInline_EveryPartEncryptedOnItsOwn_GpgDecryptsEachToTheOriginal()
    {
        var originalLeaves = MimeLeaves.Of(Original().Body);
        var sent = EndToEndComposer.EncryptFor(Original(), DeliveryMethod.PgpInline, keys.RecipientPublicKey, Signer);

        var sentParts = sent.BodyParts.OfType<MimePart>().ToList();
        Assert.Equal(originalLeaves.Count, sentParts.Count);
        var plain = Assert.IsType<TextPart>(sentParts[0]);
        Assert.StartsWith("-----BEGIN PGP MESSAGE-----", plain.Text.TrimStart(), StringComparison.Ordinal);
        Assert.All(sentParts.Skip(1), part => Assert.EndsWith(".pgp", part.FileName, StringComparison.Ordinal));
        Assert.Contains(sentParts, part => part.FileName == "message.html.pgp");
        Assert.Contains(originalLeaves, leaf => leaf.MimeType == "application/pdf");
        Assert.Contains(originalLeaves, leaf => leaf.MimeType == "image/png");
        for (var i = 0; i < sentParts.Count; i++)
        {
            var decryption = keys.Recipient.Decrypt(MimeLeaves.Decoded(sentParts[i]));
            Assert.True(decryption.GoodSignature, decryption.Status);
            if (originalLeaves[i].MimeType.StartsWith("text/", StringComparison.Ordinal))
            {
                // Text travels as canonical text (CRLF); gpg writes it with this system's line ends.
                Assert.Equal(LineFeeds(originalLeaves[i].Content), LineFeeds(decryption.Plaintext));
            }
            else
            {
                Assert.Equal(originalLeaves[i].Content, decryption.Plaintext);
            }
        }
    }

    [Fact]
    public void EncryptFor_KeepsHeadersAndDropsBcc()
    {
        var message = Original();
        message.Bcc.Add(new MailboxAddress("Hidden", "hidden@example.org"));

        var sent = EndToEndComposer.EncryptFor(message, DeliveryMethod.PgpMime, keys.RecipientPublicKey, signer: null);

        Assert.Empty(sent.Bcc);
        Assert.Equal("Uw polis \u2013 wijziging per 1 januari 2026", sent.Subject);
        Assert.DoesNotContain("hidden@example.org", Encoding.UTF8.GetString(Bytes(sent)), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(DeliveryMethod.SMime)]
    [InlineData(DeliveryMethod.PgpMime)]
    [InlineData(DeliveryMethod.PgpInline)]
    public void EncryptFor_MalformedKey_ThrowsEndToEndKeyException(DeliveryMethod method) =>
        Assert.Throws<EndToEndKeyException>(() => EndToEndComposer.EncryptFor(Original(), method, "not a key"u8.ToArray(), Signer));

    [Fact]
    public void EncryptFor_CertificateGivenForPgp_ThrowsEndToEndKeyException() =>
        Assert.Throws<EndToEndKeyException>(() => EndToEndComposer.EncryptFor(Original(), DeliveryMethod.PgpMime, keys.SMimeRecipientDer, null));

    [Fact]
    public void Sign_WithCertificate_OpenSslVerifiesTheNotification()
    {
        var notification = Notification();

        var signed = EndToEndComposer.Sign(notification, Signer);

        Assert.IsType<MultipartSigned>(signed.Body);
        var content = keys.Pki.Verify(Bytes(signed));
        Assert.Equal(MimeLeaves.Of(Notification().Body), MimeLeaves.Of(content), MimeLeafComparer.Instance);
    }

    [Fact]
    public void Sign_WithOpenPgpKeyOnly_GpgVerifiesTheDetachedSignature()
    {
        var signed = EndToEndComposer.Sign(Notification(), new EndToEndSigner(null, keys.TenantSecretKey));

        var multipart = Assert.IsType<MultipartSigned>(signed.Body);
        var directory = Directory.CreateTempSubdirectory("pgpsig").FullName;
        try
        {
            // RFC 3156 §5: the signature covers the first part exactly as sent, with CRLF line ends.
            var contentPath = Path.Combine(directory, "content");
            using (var file = File.Create(contentPath))
            {
                multipart[0].WriteTo(FormatOptions.Default.CloneWithCrlf(), file);
            }

            var signaturePath = Path.Combine(directory, "content.asc");
            File.WriteAllBytes(signaturePath, MimeLeaves.Decoded(multipart[1]));
            var result = keys.Recipient.Gpg("--status-fd", "1", "--verify", signaturePath, contentPath);
            Assert.Contains("[GNUPG:] GOODSIG", result.OutputText, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Sign_WithoutIdentity_LeavesTheMailUnchanged()
    {
        var notification = Notification();
        var body = notification.Body;

        Assert.Same(body, EndToEndComposer.Sign(notification, new EndToEndSigner(null, null)).Body);
    }

    private static string LineFeeds(byte[] text) => Encoding.UTF8.GetString(text).ReplaceLineEndings("\n");

    private static MimeMessage Original() => MimeMessage.Load(new MemoryStream(Sample(Sample)));

    private static MimeMessage Notification()
    {
        var builder = new BodyBuilder { TextBody = "Er staat een beveiligd bericht voor u klaar: \u00e9\u00e8\u2013", HtmlBody = "<p>Beveiligd bericht \u2013 open de link</p>" };
        return new MimeMessage([new MailboxAddress("Contoso", InteropKeys.TenantAddress)], [MailboxAddress.Parse(InteropKeys.PgpRecipient)], "Beveiligd bericht \u2013 Contoso", builder.ToMessageBody());
    }

    private static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default.CloneWithCrlf(), stream);
        return stream.ToArray();
    }
}

internal static class FormatOptionsExtensions
{
    public static FormatOptions CloneWithCrlf(this FormatOptions options)
    {
        var clone = options.Clone();
        clone.NewLineFormat = NewLineFormat.Dos;
        return clone;
    }
}
