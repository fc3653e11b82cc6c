using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace OmePortal.Core.EndToEnd;

/// <summary>
/// An OpenPGP context over keys held in memory for one composition. MimeKit's <see cref="GnuPGContext"/>
/// reads and writes keyring files; the tenant's secret signing key must never be written to disk in
/// the clear, and the recipient keys come from the database, so this context holds exactly the keys
/// it was given and nothing else.
/// </summary>
internal sealed class InMemoryOpenPgpContext : OpenPgpContext
{
    private readonly List<PgpPublicKeyRing> publicRings = [];
    private readonly List<PgpSecretKeyRing> secretRings = [];

    /// <summary>The tenant's signing keys are stored unprotected (they are encrypted at rest by the vault).</summary>
    protected override string GetPasswordForKey(PgpSecretKey key) => string.Empty;

    protected override PgpPublicKeyRing GetPublicKeyRing(long keyId, CancellationToken cancellationToken = default) =>
        publicRings.FirstOrDefault(ring => ring.GetPublicKey(keyId) is not null)!;

    protected override Task<PgpPublicKeyRing?> GetPublicKeyRingAsync(long keyId, CancellationToken cancellationToken = default) =>
        Task.FromResult<PgpPublicKeyRing?>(GetPublicKeyRing(keyId, cancellationToken));

    protected override PgpSecretKey GetSecretKey(long keyId, CancellationToken cancellationToken = default) =>
        secretRings.Select(ring => ring.GetSecretKey(keyId)).FirstOrDefault(key => key is not null)
        ?? throw new PrivateKeyNotFoundException(keyId.ToString("X16"), "No secret key with this id is loaded.");

    public override IList<PgpPublicKey> GetPublicKeys(IEnumerable<MailboxAddress> mailboxes, CancellationToken cancellationToken = default)
    {
        var keys = new List<PgpPublicKey>();
        foreach (var mailbox in mailboxes)
        {
            var key = publicRings.Where(ring => Names(ring.GetPublicKey(), mailbox))
                .Select(OpenPgpKeys.EncryptionKey)
                .FirstOrDefault(candidate => candidate is not null)
                ?? throw new PublicKeyNotFoundException(mailbox, "No usable OpenPGP encryption key for this address is loaded.");
            keys.Add(key);
        }

        return keys;
    }

    public override Task<IList<PgpPublicKey>> GetPublicKeysAsync(IEnumerable<MailboxAddress> mailboxes, CancellationToken cancellationToken = default) =>
        Task.FromResult(GetPublicKeys(mailboxes, cancellationToken));

    public override PgpSecretKey GetSigningKey(MailboxAddress mailbox, CancellationToken cancellationToken = default) =>
        secretRings.Where(ring => Names(ring.GetPublicKey(), mailbox))
            .Select(OpenPgpKeys.SigningKey)
            .FirstOrDefault(key => key is not null)
        ?? throw new PrivateKeyNotFoundException(mailbox, "No OpenPGP signing key for this address is loaded.");

    public override Task<PgpSecretKey> GetSigningKeyAsync(MailboxAddress mailbox, CancellationToken cancellationToken = default) =>
        Task.FromResult(GetSigningKey(mailbox, cancellationToken));

    public override bool CanSign(MailboxAddress signer, CancellationToken cancellationToken = default) =>
        secretRings.Any(ring => Names(ring.GetPublicKey(), signer) && OpenPgpKeys.SigningKey(ring) is not null);

    public override Task<bool> CanSignAsync(MailboxAddress signer, CancellationToken cancellationToken = default) =>
        Task.FromResult(CanSign(signer, cancellationToken));

    public override bool CanEncrypt(MailboxAddress mailbox, CancellationToken cancellationToken = default) =>
        publicRings.Any(ring => Names(ring.GetPublicKey(), mailbox) && OpenPgpKeys.EncryptionKey(ring) is not null);

    public override Task<bool> CanEncryptAsync(MailboxAddress mailbox, CancellationToken cancellationToken = default) =>
        Task.FromResult(CanEncrypt(mailbox, cancellationToken));

    public override void Import(PgpPublicKeyRing keyring, CancellationToken cancellationToken = default) => publicRings.Add(keyring);

    public override void Import(PgpPublicKeyRingBundle bundle, CancellationToken cancellationToken = default) =>
        publicRings.AddRange(bundle.GetKeyRings());

    public override void Import(PgpSecretKeyRing keyring, CancellationToken cancellationToken = default) => secretRings.Add(keyring);

    public override void Import(PgpSecretKeyRingBundle bundle, CancellationToken cancellationToken = default) =>
        secretRings.AddRange(bundle.GetKeyRings());

    public override void Export(IEnumerable<MailboxAddress> mailboxes, Stream stream, bool armor, CancellationToken cancellationToken = default)
    {
        var wanted = mailboxes.ToList();
        var rings = publicRings.Where(ring => wanted.Any(mailbox => Names(ring.GetPublicKey(), mailbox)));
        if (armor)
        {
            using var armored = new ArmoredOutputStream(stream);
            foreach (var ring in rings)
            {
                ring.Encode(armored);
            }
        }
        else
        {
            foreach (var ring in rings)
            {
                ring.Encode(stream);
            }
        }
    }

    public override Task ExportAsync(IEnumerable<MailboxAddress> mailboxes, Stream stream, bool armor, CancellationToken cancellationToken = default)
    {
        Export(mailboxes, stream, armor, cancellationToken);
        return Task.CompletedTask;
    }

    public override MimePart Export(IEnumerable<MailboxAddress> mailboxes, CancellationToken cancellationToken = default)
    {
        var content = new MemoryStream();
        Export(mailboxes, content, armor: true, cancellationToken);
        content.Position = 0;
        return new MimePart("application", "pgp-keys") { Content = new MimeContent(content), ContentTransferEncoding = ContentEncoding.SevenBit };
    }

    public override Task<MimePart> ExportAsync(IEnumerable<MailboxAddress> mailboxes, CancellationToken cancellationToken = default) =>
        Task.FromResult(Export(mailboxes, cancellationToken));

    private static bool Names(PgpPublicKey primary, MailboxAddress mailbox) =>
        primary.GetUserIds().Any(userId => OpenPgpKeys.UserIdNames(userId, mailbox.Address));
}
