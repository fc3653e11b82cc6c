using MimeKit;
using OmePortal.Core.EndToEnd;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.RecipientKeys;
using OmePortal.Web.Rules;
using OmePortal.Web.Vault;

namespace OmePortal.Web.EndToEnd;

/// <summary>What composing a queued end-to-end copy came to.</summary>
public abstract record EndToEndComposition
{
    private EndToEndComposition()
    {
    }

    /// <summary>The encrypted copy, to relay from the message's sender to the recipient only.</summary>
    public sealed record Ready(MimeMessage Mail, DeliveryMethod Method, string EnvelopeSender) : EndToEndComposition;

    /// <summary>The message was shredded before the copy left: nothing to send.</summary>
    public sealed record Shredded : EndToEndComposition;

    /// <summary>The recipient's key is no longer usable (removed, expired, revoked): the portal takes over.</summary>
    public sealed record KeyGone : EndToEndComposition;
}

/// <summary>
/// Composes end-to-end copies when they are sent (docs/ARCHITECTURE.md §6): the original is read from the vault and
/// encrypted to the recipient's key as the directory holds it at that moment, so no plaintext copy of the message is
/// ever queued or stored, and a key removed meanwhile is not used. Also signs the portal's own notification mails when
/// the tenant asked for it.
/// </summary>
public sealed class EndToEndMail(RecipientKeyDirectory keys, SigningIdentities signing, MessageVault vault, SmtpRelay relay)
{
    public async Task<EndToEndComposition> ComposeAsync(OmePortalDbContext db, MessageRecord message, string recipient, CancellationToken cancellationToken)
    {
        var usable = await keys.FindUsableAsync(message.TenantId, [recipient], cancellationToken);
        if (!usable.TryGetValue(recipient, out var key))
        {
            return new EndToEndComposition.KeyGone();
        }

        if (await vault.OpenBlobAsync(db, message, BlobPurpose.Content, cancellationToken) is not VaultReadResult.Opened opened)
        {
            return new EndToEndComposition.Shredded();
        }

        MimeMessage original;
        await using (opened.Plaintext)
        {
            // Loaded into memory (not persistent): the vault stream is closed before the copy is written out.
            original = await MimeMessage.LoadAsync(opened.Plaintext, persistent: false, cancellationToken);
        }

        var method = DeliveryPlanner.MethodOf(key);
        using var material = await signing.LoadAsync(message.TenantId, cancellationToken);
        var signer = material is null ? null : new EndToEndSigner(material.SmimeCertificate, material.OpenPgpSecretKey);
        try
        {
            var mail = EndToEndComposer.EncryptFor(original, method, key.PublicKey, signer, cancellationToken);
            return new EndToEndComposition.Ready(mail, method, message.SenderAddress);
        }
        catch (EndToEndKeyException)
        {
            original.Dispose();
            return new EndToEndComposition.KeyGone();
        }
    }

    /// <summary>Relays a composed copy through the smart host, addressed to the one recipient.</summary>
    public async Task RelayAsync(EndToEndComposition.Ready copy, string recipient, CancellationToken cancellationToken)
    {
        using var bytes = new MemoryStream();
        await copy.Mail.WriteToAsync(bytes, cancellationToken);
        await relay.RelayAsync(bytes, copy.EnvelopeSender, [recipient], cancellationToken);
    }

    /// <summary>Signs a notification of the tenant when its signing identity says so; the mail unchanged otherwise.</summary>
    public async Task<MimeMessage> SignNotificationAsync(Guid tenantId, MimeMessage notification, CancellationToken cancellationToken)
    {
        using var material = await signing.LoadAsync(tenantId, cancellationToken);
        if (material is not { SignNotifications: true })
        {
            return notification;
        }

        return EndToEndComposer.Sign(notification, new EndToEndSigner(material.SmimeCertificate, material.OpenPgpSecretKey), cancellationToken);
    }
}
