using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Reading;

/// <summary>
/// Short-lived tickets that let the sandboxed body frame load its own <c>cid:</c> images.
/// </summary>
/// <remarks>
/// The body frame runs in an opaque origin (iframe <c>sandbox</c> and CSP <c>sandbox</c> without
/// <c>allow-same-origin</c>), so browsers treat its image requests as cross-site and do not send the
/// SameSite=Lax session cookie. The frame is only served to a granted reader, so it carries, in each
/// inline image URL, an HMAC over (message, session, expiry) keyed from the master key. The inline
/// endpoint still asks the access decision for the session's address on every request: a ticket
/// stops working when the session ends or expires, the message expires, is revoked or shredded.
/// </remarks>
public sealed class InlineImageTickets(MasterKeyHolder master, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    private const int PayloadLength = 16 + 16 + 8;
    private const int MacLength = 32;

    private readonly Lazy<byte[]> _key = new(() => master.Key.DeriveSubkey("omeportal/reading/inline-ticket/v1"));

    /// <summary>A ticket for the images of <paramref name="messageId"/> shown to session <paramref name="sessionId"/>.</summary>
    public string Issue(Guid messageId, Guid sessionId)
    {
        Span<byte> ticket = stackalloc byte[PayloadLength + MacLength];
        messageId.TryWriteBytes(ticket[..16]);
        sessionId.TryWriteBytes(ticket[16..32]);
        BinaryPrimitives.WriteInt64BigEndian(ticket[32..40], (time.GetUtcNow() + Lifetime).ToUnixTimeSeconds());
        HMACSHA256.HashData(_key.Value, ticket[..PayloadLength], ticket[PayloadLength..]);
        return Base64Url.EncodeToString(ticket);
    }

    /// <summary>The session a valid, unexpired ticket for <paramref name="messageId"/> was issued to; null otherwise.</summary>
    public Guid? Validate(string? ticket, Guid messageId)
    {
        if (string.IsNullOrEmpty(ticket) || ticket.Length > 100)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[75];
        if (!Base64Url.IsValid(ticket) || !Base64Url.TryDecodeFromChars(ticket, bytes, out var length) || length != PayloadLength + MacLength)
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        HMACSHA256.HashData(_key.Value, bytes[..PayloadLength], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes[PayloadLength..length]))
        {
            return null;
        }

        var expires = BinaryPrimitives.ReadInt64BigEndian(bytes[32..40]);
        if (new Guid(bytes[..16]) != messageId || time.GetUtcNow().ToUnixTimeSeconds() >= expires)
        {
            return null;
        }

        return new Guid(bytes[16..32]);
    }
}
