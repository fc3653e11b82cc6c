using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OmePortal.Data;
using OmePortal.Web.Notifications;
using OmePortal.Web.Vault;

namespace OmePortal.Web.RecipientKeys;

/// <summary>
/// The queued "an encryption key was added for your address" mail (<see cref="OutboundMailKind.RecipientKeyAdded"/>),
/// queued in the transaction that stores the key and delivered by the notification dispatcher. What it names
/// (kind, fingerprint, time) rides along sealed under a key derived from the master key, as for the passkey mail.
/// </summary>
public static class RecipientKeyAddedMail
{
    private const string KeyLabel = "omeportal/outbox/recipient-key-added/v1";
    private static ReadOnlySpan<byte> AssociatedData => "omeportal/recipient-key-added"u8;

    public static OutboundMailRecord Queue(MasterKeyHolder master, string address, RecipientKeyRecordKind kind, string fingerprint, DateTimeOffset addedAt) => new()
    {
        Id = Guid.CreateVersion7(addedAt),
        // In the portal's neutral brand: the address may receive messages of several tenants, none should learn of the others.
        TenantId = Guid.Empty,
        Kind = OutboundMailKind.RecipientKeyAdded,
        ToAddress = address,
        Status = OutboundMailStatus.Pending,
        CreatedAt = addedAt,
        NextAttemptAt = addedAt,
        SealedPayload = Seal(master, kind, fingerprint, addedAt),
        Language = RecipientLanguages.OfCurrentRequest(),
    };

    public static (RecipientKeyRecordKind Kind, string Fingerprint, DateTimeOffset AddedAt) Open(MasterKeyHolder master, byte[] sealedPayload)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(sealedPayload);
        var key = master.Key.DeriveSubkey(KeyLabel);
        var cipher = sealedPayload.AsSpan(12, sealedPayload.Length - 28);
        var plain = new byte[cipher.Length];
        using var gcm = new AesGcm(key, 16);
        gcm.Decrypt(sealedPayload.AsSpan(0, 12), cipher, sealedPayload.AsSpan(sealedPayload.Length - 16), plain, AssociatedData);
        var addedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(plain));
        return ((RecipientKeyRecordKind)plain[8], Encoding.ASCII.GetString(plain.AsSpan(9)), addedAt);
    }

    private static byte[] Seal(MasterKeyHolder master, RecipientKeyRecordKind kind, string fingerprint, DateTimeOffset addedAt)
    {
        var text = Encoding.ASCII.GetBytes(fingerprint);
        var plain = new byte[9 + text.Length];
        BinaryPrimitives.WriteInt64BigEndian(plain, addedAt.ToUnixTimeMilliseconds());
        plain[8] = (byte)kind;
        text.CopyTo(plain, 9);
        var key = master.Key.DeriveSubkey(KeyLabel);
        var output = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(output.AsSpan(0, 12), plain, output.AsSpan(12, plain.Length), output.AsSpan(12 + plain.Length), AssociatedData);
        return output;
    }

    public static string KindName(RecipientKeyRecordKind kind) => kind == RecipientKeyRecordKind.SMime ? "S/MIME" : "OpenPGP";
}
