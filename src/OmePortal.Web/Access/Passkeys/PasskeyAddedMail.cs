using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Notifications;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Access.Passkeys;

/// <summary>
/// The queued "a passkey was added" mail (<see cref="OutboundMailKind.PasskeyAdded"/>). It is queued in the
/// transaction that stores the passkey and delivered by the notification dispatcher like every portal mail.
/// The passkey's name and time ride along sealed under a key derived from the master key, as a passcode does,
/// so the outbox holds no text a recipient typed; the dispatcher drops the payload once the mail has left.
/// </summary>
public static class PasskeyAddedMail
{
    private const string KeyLabel = "omeportal/outbox/passkey-added/v1";
    private static ReadOnlySpan<byte> AssociatedData => "omeportal/passkey-added"u8;

    /// <summary>The outbox row for <paramref name="address"/>, in the language of the current request.</summary>
    public static OutboundMailRecord Queue(MasterKeyHolder master, string address, string passkeyName, DateTimeOffset addedAt) => new()
    {
        Id = Guid.CreateVersion7(addedAt),
        // A passkey belongs to an address, not to a tenant: the mail is the portal's, in its neutral brand.
        TenantId = Guid.Empty,
        Kind = OutboundMailKind.PasskeyAdded,
        ToAddress = address,
        Status = OutboundMailStatus.Pending,
        CreatedAt = addedAt,
        NextAttemptAt = addedAt,
        SealedPayload = Seal(master, passkeyName, addedAt),
        Language = RecipientLanguages.OfCurrentRequest(),
    };

    /// <summary>Opens what <see cref="Queue"/> sealed, for the mail dispatcher.</summary>
    public static (string PasskeyName, DateTimeOffset AddedAt) Open(MasterKeyHolder master, byte[] sealedPayload)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(sealedPayload);
        var key = master.Key.DeriveSubkey(KeyLabel);
        var cipher = sealedPayload.AsSpan(12, sealedPayload.Length - 28);
        var plain = new byte[cipher.Length];
        using var gcm = new AesGcm(key, 16);
        gcm.Decrypt(sealedPayload.AsSpan(0, 12), cipher, sealedPayload.AsSpan(sealedPayload.Length - 16), plain, AssociatedData);
        var addedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(plain));
        return (Encoding.UTF8.GetString(plain.AsSpan(8)), addedAt);
    }

    private static byte[] Seal(MasterKeyHolder master, string passkeyName, DateTimeOffset addedAt)
    {
        var name = Encoding.UTF8.GetBytes(passkeyName);
        var plain = new byte[8 + name.Length];
        BinaryPrimitives.WriteInt64BigEndian(plain, addedAt.ToUnixTimeMilliseconds());
        name.CopyTo(plain, 8);
        var key = master.Key.DeriveSubkey(KeyLabel);
        var output = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(output.AsSpan(0, 12), plain, output.AsSpan(12, plain.Length), output.AsSpan(12 + plain.Length), AssociatedData);
        return output;
    }
}
