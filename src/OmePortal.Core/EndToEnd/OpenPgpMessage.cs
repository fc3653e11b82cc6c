using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace OmePortal.Core.EndToEnd;

/// <summary>
/// One armored OpenPGP message (RFC 4880 §11.3) for PGP/Inline, built with BouncyCastle's generators:
/// AES-256 with integrity protection, optionally a one-pass signature, and a binary literal. MimeKit's
/// stream API writes a text-mode literal under a binary signature, which gpg reports as a bad signature
/// for any part with bare line feeds (images, PDFs), so the parts are packaged here in binary mode.
/// </summary>
internal static class OpenPgpMessage
{
    private const int BufferSize = 1 << 16;

    public static byte[] EncryptArmored(Stream plaintext, PgpPublicKey recipient, PgpSecretKey? signer, CancellationToken cancellationToken)
    {
        var output = new MemoryStream();
        using (var armored = new ArmoredOutputStream(output))
        {
            var encryption = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, withIntegrityPacket: true, new SecureRandom());
            encryption.AddMethod(recipient);
            using var encrypted = encryption.Open(armored, new byte[BufferSize]);

            PgpSignatureGenerator? signature = null;
            if (signer is not null)
            {
                signature = new PgpSignatureGenerator(signer.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
                signature.InitSign(PgpSignature.BinaryDocument, signer.ExtractPrivateKey([]));
                var subpackets = new PgpSignatureSubpacketGenerator();
                subpackets.SetIssuerFingerprint(false, signer.PublicKey);
                subpackets.SetSignatureCreationTime(false, DateTime.UtcNow);
                signature.SetHashedSubpackets(subpackets.Generate());
                signature.GenerateOnePassVersion(isNested: false).Encode(encrypted);
            }

            var literal = new PgpLiteralDataGenerator();
            using (var data = literal.Open(encrypted, PgpLiteralData.Binary, string.Empty, DateTime.UtcNow, new byte[BufferSize]))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = plaintext.Read(buffer, 0, buffer.Length)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    data.Write(buffer, 0, read);
                    signature?.Update(buffer, 0, read);
                }
            }

            signature?.Generate().Encode(encrypted);
        }

        return output.ToArray();
    }
}
