using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Reading;

/// <summary>
/// Signed URLs of the image proxy (<see cref="ImageProxyEndpoint"/>): <c>/messages/{id}/remote-image?u=…&amp;s=…</c>.
/// </summary>
/// <remarks>
/// Only the body rewrite of a granted reader who asked for images signs a URL, and only a URL that the
/// sanitised body of that message holds, so the proxy is no open proxy: <c>s</c> is an HMAC (keyed
/// from the master key) over the message, the reader's session, an expiry and the exact URL. The
/// sandboxed body frame sends no cookie (see <see cref="InlineImageTickets"/>), so the session in the
/// signature is who asks; the endpoint still asks the access decision for it on every request.
/// </remarks>
public sealed class ImageProxyUrls(MasterKeyHolder master, TimeProvider time)
{
    /// <summary>Longer URLs are left blocked (they are not images anyone needs, and they make long query strings).</summary>
    public const int MaxUrlLength = 2048;

    private const int PayloadLength = 16 + 16 + 8;
    private const int MacLength = 32;
    private const int TokenLength = PayloadLength + MacLength;

    private readonly Lazy<byte[]> _key = new(() => master.Key.DeriveSubkey("omeportal/reading/image-proxy/v1"));

    public static string PathOf(Guid messageId) => $"/messages/{messageId.ToString("D", CultureInfo.InvariantCulture)}/remote-image";

    /// <summary>An absolute http(s) URL without user information: the only kind the proxy fetches.</summary>
    public static bool IsFetchable(Uri url) =>
        url.IsAbsoluteUri
        && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
        && url.UserInfo.Length == 0
        && url.Host.Length > 0;

    /// <summary>The proxied URL of <paramref name="target"/> for session <paramref name="sessionId"/>; null when it is not fetchable.</summary>
    public string? For(Guid messageId, Guid sessionId, Uri target)
    {
        if (!IsFetchable(target) || target.AbsoluteUri.Length > MaxUrlLength)
        {
            return null;
        }

        var url = target.AbsoluteUri;
        Span<byte> token = stackalloc byte[TokenLength];
        messageId.TryWriteBytes(token[..16]);
        sessionId.TryWriteBytes(token[16..32]);
        BinaryPrimitives.WriteInt64BigEndian(token[32..40], (time.GetUtcNow() + InlineImageTickets.Lifetime).ToUnixTimeSeconds());
        Mac(token[..PayloadLength], url, token[PayloadLength..]);
        return PathOf(messageId) + "?u=" + Uri.EscapeDataString(url) + "&s=" + Base64Url.EncodeToString(token);
    }

    /// <summary>The session a valid, unexpired signature of <paramref name="url"/> for <paramref name="messageId"/> was issued to; null otherwise.</summary>
    public Guid? Validate(Guid messageId, string? url, string? signature)
    {
        if (string.IsNullOrEmpty(url) || url.Length > MaxUrlLength || string.IsNullOrEmpty(signature) || signature.Length > 128)
        {
            return null;
        }

        Span<byte> token = stackalloc byte[TokenLength + 3];
        if (!Base64Url.IsValid(signature) || !Base64Url.TryDecodeFromChars(signature, token, out var length) || length != TokenLength)
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        Mac(token[..PayloadLength], url, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, token[PayloadLength..TokenLength]))
        {
            return null;
        }

        var expires = BinaryPrimitives.ReadInt64BigEndian(token[32..40]);
        if (new Guid(token[..16]) != messageId || time.GetUtcNow().ToUnixTimeSeconds() >= expires)
        {
            return null;
        }

        return new Guid(token[16..32]);
    }

    private void Mac(ReadOnlySpan<byte> payload, string url, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key.Value);
        hmac.AppendData(payload);
        hmac.AppendData(Encoding.UTF8.GetBytes(url));
        hmac.GetHashAndReset(destination);
    }
}
