using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// Unsaved form values kept for a few minutes so the preview frames can render them. A draft belongs
/// to one tenant: asking for it from another tenant's admin finds nothing. The drafts are bounded per
/// tenant (a draft is sized by its logo and texts): each tenant holds at most <see cref="TenantCapacity"/>
/// bytes, and a new draft that does not fit pushes out that tenant's least recently used ones. So drafts
/// cannot exhaust the server, an admin's newest preview always works, and a tenant that fills its share
/// never evicts another tenant's previews (one bound shared by all would let any tenant do that). The
/// total is the bound times the number of tenants, which only the system admin creates.
/// </summary>
/// <remarks>
/// The drafts live in the <see cref="IDistributedCache"/>: Redis when configured, so the frame that a load
/// balancer sends to another node still finds the draft; this node's memory otherwise. Each tenant has an
/// index entry (draft ids, sizes, last use) that the bound and the lifetime are decided on; the cache's own
/// sliding expiry only cleans up behind it. Two nodes storing drafts of one tenant in the same instant may
/// each write the index back without the other's change: the lost draft is then not found (the admin
/// previews again) and its bytes leave Redis when they expire. Admins preview a few times a minute, so this
/// stays rare, and a lock across nodes would cost every preview a round trip more.
/// </remarks>
public sealed class BrandPreviewDrafts(IDistributedCache cache, TimeProvider time)
{
    /// <summary>The bytes of drafts one tenant may hold: about thirty with the largest logo allowed.</summary>
    public const long TenantCapacity = 8L * 1024 * 1024;

    /// <summary>How long a draft lives after it was last stored or read.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(20);

    private static readonly DistributedCacheEntryOptions Expiry = new() { SlidingExpiration = Lifetime };

    // Admins preview a few times a minute: one gate over all tenants costs nothing here, and it keeps this
    // node's own index updates in order.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Keeps <paramref name="brand"/> and answers its draft id (128 random bits, URL-safe).</summary>
    public async Task<string> StoreAsync(Guid tenantId, BrandTemplate brand, CancellationToken cancellationToken = default)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var payload = DraftPayload.Write(brand);
        var size = 4096L + payload.Length;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var index = await LoadIndexAsync(tenantId, now, cancellationToken);
            while (index.Count > 0 && index.Sum(e => e.Size) + size > TenantCapacity)
            {
                // The index is kept in order of use, least recent first.
                var oldest = index[0];
                index.RemoveAt(0);
                await cache.RemoveAsync(DraftKey(tenantId, oldest.Id), cancellationToken);
            }

            await cache.SetAsync(DraftKey(tenantId, id), payload, Expiry, cancellationToken);
            index.Add(new IndexEntry(id, size, now));
            await SaveIndexAsync(tenantId, index, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        return id;
    }

    public async Task<BrandTemplate?> FindAsync(Guid tenantId, string? id, CancellationToken cancellationToken = default)
    {
        if (id is not { Length: 32 } || !id.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var index = await LoadIndexAsync(tenantId, now, cancellationToken);
            var entry = index.Find(e => string.Equals(e.Id, id, StringComparison.Ordinal));
            if (entry is null)
            {
                return null;
            }

            index.Remove(entry);
            var payload = await cache.GetAsync(DraftKey(tenantId, id), cancellationToken);
            if (payload is not null)
            {
                index.Add(entry with { LastUsed = now });
            }

            await SaveIndexAsync(tenantId, index, cancellationToken);
            return payload is null ? null : DraftPayload.Read(payload);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string DraftKey(Guid tenantId, string id) => $"brand-preview:{tenantId:N}:{id}";

    private static string IndexKey(Guid tenantId) => $"brand-preview:{tenantId:N}:index";

    /// <summary>The tenant's index without the drafts last used <see cref="Lifetime"/> or longer ago (whose bytes it removes).</summary>
    private async Task<List<IndexEntry>> LoadIndexAsync(Guid tenantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var bytes = await cache.GetAsync(IndexKey(tenantId), cancellationToken);
        var index = bytes is null ? [] : JsonSerializer.Deserialize<List<IndexEntry>>(bytes) ?? [];
        foreach (var expired in index.Where(e => e.LastUsed <= now - Lifetime).ToList())
        {
            index.Remove(expired);
            await cache.RemoveAsync(DraftKey(tenantId, expired.Id), cancellationToken);
        }

        return index;
    }

    private Task SaveIndexAsync(Guid tenantId, List<IndexEntry> index, CancellationToken cancellationToken) =>
        index.Count == 0
            ? cache.RemoveAsync(IndexKey(tenantId), cancellationToken)
            : cache.SetAsync(IndexKey(tenantId), JsonSerializer.SerializeToUtf8Bytes(index), Expiry, cancellationToken);

    private sealed record IndexEntry(string Id, long Size, DateTimeOffset LastUsed);

    /// <summary>
    /// A draft as bytes: its brand.json text (the format saved templates use, <see cref="BrandSerializer"/>), then the
    /// logo's media type and bytes as they are, so a logo is not inflated by base64.
    /// </summary>
    private static class DraftPayload
    {
        public static byte[] Write(BrandTemplate brand)
        {
            using var buffer = new MemoryStream();
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(BrandSerializer.ToJson(brand));
                writer.Write(brand.Logo?.ContentType ?? string.Empty);
                writer.Write(brand.Logo?.Content.Length ?? 0);
                writer.Write(brand.Logo?.Content ?? []);
            }

            return buffer.ToArray();
        }

        public static BrandTemplate Read(byte[] payload)
        {
            using var reader = new BinaryReader(new MemoryStream(payload, writable: false), Encoding.UTF8);
            var json = reader.ReadString();
            var contentType = reader.ReadString();
            var logo = reader.ReadBytes(reader.ReadInt32());
            return BrandSerializer.FromJson(json, contentType.Length == 0 ? null : new BrandLogo(logo, contentType));
        }
    }
}

/// <summary>A rendered notification mail: its sender line ("Name &lt;address&gt;", as the real mail's From), its subject line and its HTML part.</summary>
public sealed record MailPreview(string From, string Subject, string Html);

/// <summary>
/// Renders what a template will look like: the notification mail exactly as <see cref="NotificationComposer"/>
/// builds it (its HTML part, with the logo's <c>cid:</c> reference turned into a data URI so a browser can
/// show it), for a made-up sender and recipient.
/// </summary>
public static class BrandPreview
{
    public const string SampleSenderName = "Alex Example";
    public const string SampleSenderAddress = "alex@example.com";
    public const string SampleRecipientAddress = "recipient@example.org";

    /// <summary>The policy of a preview frame: its own inline styles and data: images, nothing else, sandboxed.</summary>
    public const string FramePolicy =
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";

    /// <summary>The link page preview: the portal's own style sheet and its nonce'd brand colour, no script, no forms.</summary>
    public static string LinkFramePolicy(string nonce) =>
        $"default-src 'none'; img-src 'self' data:; style-src 'self' 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";

    public static void FrameHeaders(HttpResponse response, string policy)
    {
        var headers = response.Headers;
        headers.CacheControl = "no-cache, no-store";
        headers.ContentSecurityPolicy = policy;
        headers.XFrameOptions = "SAMEORIGIN";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>
    /// The sender line, subject and HTML of the notification mail <paramref name="brand"/> makes, in <paramref name="language"/>:
    /// composed with the portal's real From (<paramref name="fromAddress"/>, <paramref name="fromName"/>) and the sign-in
    /// methods a message of this brand would really offer (<paramref name="signIn"/>), so the preview says what the mail will.
    /// </summary>
    public static MailPreview Mail(BrandTemplate brand, string language, Uri portalBase, DateTimeOffset now, string fromAddress, string? fromName, NotificationSignIn? signIn)
    {
        var message = NotificationComposer.Compose(new NotificationRequest(
            brand,
            language,
            SampleRecipientAddress,
            SampleSenderAddress,
            SampleSenderName,
            new Uri(portalBase, "/m/preview"),
            brand.ExpiryDays > 0 ? now.AddDays(brand.ExpiryDays) : null,
            fromAddress,
            fromName,
            Guid.Empty,
            signIn));

        var html = message.HtmlBody ?? string.Empty;
        foreach (var part in message.BodyParts.OfType<MimePart>())
        {
            if (part.ContentId is not { Length: > 0 } contentId || !part.ContentType.MediaType.Equals("image", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (part.Content is null)
            {
                continue;
            }

            using var bytes = new MemoryStream();
            part.Content.DecodeTo(bytes);
            var dataUri = $"data:{part.ContentType.MimeType};base64,{Convert.ToBase64String(bytes.GetBuffer(), 0, (int)bytes.Length)}";
            html = html.Replace("cid:" + contentId, dataUri, StringComparison.Ordinal);
        }

        var from = message.From.Mailboxes.Single();
        return new MailPreview(string.IsNullOrEmpty(from.Name) ? from.Address : $"{from.Name} <{from.Address}>", message.Subject ?? string.Empty, html);
    }

    public static string? LogoDataUri(BrandLogo? logo) =>
        logo is null ? null : $"data:{logo.ContentType};base64,{Convert.ToBase64String(logo.Content)}";

    public static CultureInfo Culture(string language) => BrandLanguages.Culture(language);
}
