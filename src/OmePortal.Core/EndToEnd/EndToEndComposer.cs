using System.Security.Cryptography.X509Certificates;
using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.X509;

namespace OmePortal.Core.EndToEnd;

/// <summary>
/// The tenant's signing identity for one composition: an S/MIME certificate with its private key and/or an
/// unprotected OpenPGP secret key ring (binary). The caller owns the certificate's lifetime.
/// </summary>
public sealed record EndToEndSigner(X509Certificate2? SMimeCertificate, byte[]? OpenPgpSecretKey)
{
    public bool CanSignSMime => SMimeCertificate is { HasPrivateKey: true };
    public bool CanSignOpenPgp => OpenPgpSecretKey is { Length: > 0 };
}

/// <summary>The recipient's key cannot be used to encrypt (bad bytes, no encryption key, wrong kind).</summary>
public sealed class EndToEndKeyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Turns the original message into the copy one recipient receives end to end (docs/ARCHITECTURE.md §6):
/// the headers stay (Bcc is dropped), the body is replaced by the same body encrypted to the recipient's
/// certificate or key, signed first with the tenant's identity when it has one for that format.
/// All cryptography is MimeKit's (on BouncyCastle); nothing here is a cipher of our own.
/// </summary>
public static class EndToEndComposer
{
    /// <summary>
    /// Encrypts <paramref name="message"/> in place for one recipient and returns it. The message is
    /// consumed: parse a fresh copy of the original for every recipient.
    /// </summary>
    /// <exception cref="EndToEndKeyException">The key is malformed or holds no usable encryption key.</exception>
    public static MimeMessage EncryptFor(
        MimeMessage message, DeliveryMethod method, byte[] recipientKey, EndToEndSigner? signer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(recipientKey);
        var body = message.Body ?? throw new ArgumentException("The message has no body.", nameof(message));
        // Bcc would tell this recipient who else was sent the message in secret.
        message.Bcc.Clear();
        message.Body = method switch
        {
            DeliveryMethod.SMime => SMimeEnvelope(body, recipientKey, signer, cancellationToken),
            DeliveryMethod.PgpMime => PgpMime(body, recipientKey, signer, cancellationToken),
            DeliveryMethod.PgpInline => PgpInline(body, recipientKey, signer, cancellationToken),
            DeliveryMethod.Portal => throw new ArgumentException("The portal method has no end-to-end copy.", nameof(method)),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
        };
        return message;
    }

    /// <summary>
    /// Signs a mail the portal sends in the clear (a notification) so the recipient's client shows it came
    /// from the organisation: S/MIME multipart/signed when the tenant has a certificate, else PGP/MIME
    /// multipart/signed; unchanged when the signer has neither.
    /// </summary>
    public static MimeMessage Sign(MimeMessage message, EndToEndSigner signer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(signer);
        var body = message.Body ?? throw new ArgumentException("The message has no body.", nameof(message));
        if (signer.CanSignSMime)
        {
            using var context = new TemporarySecureMimeContext();
            message.Body = MultipartSigned.Create(context, SMimeSigner(signer.SMimeCertificate!), body, cancellationToken);
        }
        else if (signer.CanSignOpenPgp)
        {
            using var context = new InMemoryOpenPgpContext();
            message.Body = MultipartSigned.Create(context, PgpSigningKey(signer.OpenPgpSecretKey!), DigestAlgorithm.Sha256, body, cancellationToken);
        }

        return message;
    }

    private static ApplicationPkcs7Mime SMimeEnvelope(MimeEntity body, byte[] certificateDer, EndToEndSigner? signer, CancellationToken cancellationToken)
    {
        Org.BouncyCastle.X509.X509Certificate certificate;
        try
        {
            certificate = new X509CertificateParser().ReadCertificate(certificateDer)
                ?? throw new EndToEndKeyException("The recipient's certificate is empty.");
        }
        catch (Exception error) when (error is not EndToEndKeyException)
        {
            throw new EndToEndKeyException("The recipient's certificate cannot be read.", error);
        }

        // RSA only, with OAEP (PKCS#1 v1.5 key transport is the weak, legacy choice). The directory already refuses
        // EC certificates (CertificateCheck: BouncyCastle's ECDH envelopes do not decrypt in OpenSSL); this is the
        // last line, so no recipient is sent mail they cannot open.
        if (certificate.GetPublicKey() is not RsaKeyParameters)
        {
            throw new EndToEndKeyException("Only RSA certificates can be encrypted to end to end.");
        }

        var recipient = new CmsRecipient(certificate, SubjectIdentifierType.IssuerAndSerialNumber)
        {
            EncryptionAlgorithms = [EncryptionAlgorithm.Aes256],
            RsaEncryptionPadding = RsaEncryptionPadding.OaepSha256,
        };

        using var context = new TemporarySecureMimeContext();
        var content = signer is { CanSignSMime: true }
            ? MultipartSigned.Create(context, SMimeSigner(signer.SMimeCertificate!), body, cancellationToken)
            : body;
        return ApplicationPkcs7Mime.Encrypt(context, new CmsRecipientCollection { recipient }, content, cancellationToken);
    }

    private static MultipartEncrypted PgpMime(MimeEntity body, byte[] publicKey, EndToEndSigner? signer, CancellationToken cancellationToken)
    {
        var encryptionKey = PgpEncryptionKey(publicKey);
        using var context = new InMemoryOpenPgpContext();
        return signer is { CanSignOpenPgp: true }
            ? MultipartEncrypted.SignAndEncrypt(
                context, PgpSigningKey(signer.OpenPgpSecretKey!), DigestAlgorithm.Sha256, EncryptionAlgorithm.Aes256, [encryptionKey], body, cancellationToken)
            : MultipartEncrypted.Encrypt(context, EncryptionAlgorithm.Aes256, [encryptionKey], body, cancellationToken);
    }

    /// <summary>
    /// PGP/Inline as Microsoft 365 sends it: every text body becomes an ASCII-armored block in a text/plain
    /// part, every other part (HTML bodies, images, attachments, forwarded messages) a separate armored
    /// <c>.pgp</c> attachment. Alternative and related groupings lose their meaning once their parts are
    /// ciphertext, so every multipart becomes multipart/mixed and the recipient sees every part.
    /// </summary>
    private static MimeEntity PgpInline(MimeEntity body, byte[] publicKey, EndToEndSigner? signer, CancellationToken cancellationToken)
    {
        var encryptionKey = PgpEncryptionKey(publicKey);
        var signingKey = signer is { CanSignOpenPgp: true } ? PgpSigningKey(signer.OpenPgpSecretKey!) : null;
        var htmlCount = 0;

        byte[] Armor(Stream plaintext) => OpenPgpMessage.EncryptArmored(plaintext, encryptionKey, signingKey, cancellationToken);

        MimeEntity Transform(MimeEntity entity)
        {
            switch (entity)
            {
                case Multipart multipart:
                    var mixed = new Multipart("mixed");
                    foreach (var child in multipart)
                    {
                        mixed.Add(Transform(child));
                    }

                    return mixed;

                case TextPart { IsPlain: true, IsAttachment: false } text:
                    using (var plaintext = CanonicalText(text.Text))
                    {
                        return new TextPart("plain") { Text = Encoding.ASCII.GetString(Armor(plaintext)), ContentTransferEncoding = ContentEncoding.SevenBit };
                    }

                case TextPart { IsHtml: true, IsAttachment: false } html:
                    htmlCount++;
                    using (var plaintext = CanonicalText(html.Text))
                    {
                        return EncryptedAttachment(Armor(plaintext), htmlCount == 1 ? "message.html" : $"message-{htmlCount}.html");
                    }

                case MimePart part:
                    using (var plaintext = new MemoryStream())
                    {
                        part.Content?.DecodeTo(plaintext, cancellationToken);
                        plaintext.Position = 0;
                        return EncryptedAttachment(Armor(plaintext), part.FileName ?? DefaultName(part));
                    }

                case MessagePart embedded:
                    using (var plaintext = new MemoryStream())
                    {
                        embedded.Message?.WriteTo(plaintext, cancellationToken);
                        plaintext.Position = 0;
                        return EncryptedAttachment(Armor(plaintext), "forwarded.eml");
                    }

                default:
                    throw new NotSupportedException($"A MIME entity of type {entity.GetType().Name} cannot be sent as PGP/Inline.");
            }
        }

        return Transform(body);
    }

    /// <summary>
    /// Text as OpenPGP expects it (RFC 4880 §5.9): UTF-8 with CRLF line ends. MimeKit writes text as a
    /// text-mode literal, and a signature over bare LF lines does not verify in gpg.
    /// </summary>
    private static MemoryStream CanonicalText(string text) =>
        new(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n")), writable: false);

    private static MimePart EncryptedAttachment(byte[] armored, string name) =>
        new("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(armored, writable: false)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.SevenBit,
            FileName = name + ".pgp",
        };

    private static string DefaultName(MimePart part) =>
        "part." + (MimeTypes.TryGetExtension(part.ContentType.MimeType, out var extension) ? extension.TrimStart('.') : "bin");

    private static PgpPublicKey PgpEncryptionKey(byte[] publicKey)
    {
        PgpPublicKeyRing ring;
        try
        {
            ring = OpenPgpKeys.ReadPublicKeyRing(publicKey);
        }
        catch (Exception error)
        {
            throw new EndToEndKeyException("The recipient's OpenPGP key cannot be read.", error);
        }

        return OpenPgpKeys.EncryptionKey(ring)
            ?? throw new EndToEndKeyException("The recipient's OpenPGP key has no valid encryption key.");
    }

    private static PgpSecretKey PgpSigningKey(byte[] secretKey) =>
        OpenPgpKeys.SigningKey(OpenPgpKeys.ReadSecretKeyRing(secretKey))
        ?? throw new InvalidOperationException("The tenant's OpenPGP secret key has no usable signing key.");

    private static CmsSigner SMimeSigner(X509Certificate2 certificate) =>
        new(certificate, SubjectIdentifierType.IssuerAndSerialNumber) { DigestAlgorithm = DigestAlgorithm.Sha256 };
}
