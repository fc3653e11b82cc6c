using System.Globalization;
using System.Security.Cryptography;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// Unsaved form values kept for a few minutes so the preview frames can render them. A draft belongs
/// to one tenant: asking for it from another tenant's admin finds nothing. The memory is bounded per
/// tenant (a draft is sized by its logo and texts): each tenant holds at most <see cref="TenantCapacity"/>
/// bytes, and a new draft that does not fit pushes out that tenant's least recently used ones. So drafts
/// cannot exhaust the server, an admin's newest preview always works, and a tenant that fills its share
/// never evicts another tenant's previews (one bound shared by all would let any tenant do that). The
/// total is the bound times the number of tenants, which only the system admin creates.
/// </summary>
public sealed class BrandPreviewDrafts(TimeProvider time)
{
    /// <summary>The bytes of drafts one tenant may hold: about thirty with the largest logo allowed.</summary>
    public const long TenantCapacity = 8L * 1024 * 1024;

    /// <summary>How long a draft lives after it was last stored or read.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(20);

    // Admins preview a few times a minute: one lock over all tenants costs nothing here.
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, TenantDrafts> _tenants = [];

    /// <summary>Keeps <paramref name="brand"/> and answers its draft id (128 random bits, URL-safe).</summary>
    public string Store(Guid tenantId, BrandTemplate brand)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var size = 4096L + (brand.Logo?.Content.Length ?? 0)
            + brand.Texts.Values.Sum(t => (long)((t.IntroductionText?.Length ?? 0) + (t.EmailText?.Length ?? 0) + (t.DisclaimerText?.Length ?? 0)) * 2);
        lock (_gate)
        {
            var now = time.GetUtcNow();
            RemoveExpired(now);
            if (!_tenants.TryGetValue(tenantId, out var drafts))
            {
                _tenants[tenantId] = drafts = new TenantDrafts();
            }

            drafts.Add(new Draft(id, brand, size) { LastUsed = now });
        }

        return id;
    }

    public BrandTemplate? Find(Guid tenantId, string? id)
    {
        if (id is not { Length: 32 } || !id.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        lock (_gate)
        {
            var now = time.GetUtcNow();
            RemoveExpired(now);
            return _tenants.TryGetValue(tenantId, out var drafts) ? drafts.Use(id, now) : null;
        }
    }

    private void RemoveExpired(DateTimeOffset now)
    {
        List<Guid>? empty = null;
        foreach (var (tenantId, drafts) in _tenants)
        {
            if (drafts.RemoveUsedBefore(now - Lifetime))
            {
                (empty ??= []).Add(tenantId);
            }
        }

        foreach (var tenantId in empty ?? [])
        {
            _tenants.Remove(tenantId);
        }
    }

    private sealed record Draft(string Id, BrandTemplate Brand, long Size)
    {
        public DateTimeOffset LastUsed { get; set; }
    }

    /// <summary>One tenant's drafts, most recently used first.</summary>
    private sealed class TenantDrafts
    {
        private readonly LinkedList<Draft> _byUse = new();
        private readonly Dictionary<string, LinkedListNode<Draft>> _byId = new(StringComparer.Ordinal);
        private long _size;

        public void Add(Draft draft)
        {
            while (_byUse.Last is { } oldest && _size + draft.Size > TenantCapacity)
            {
                Remove(oldest);
            }

            _byId[draft.Id] = _byUse.AddFirst(draft);
            _size += draft.Size;
        }

        public BrandTemplate? Use(string id, DateTimeOffset now)
        {
            if (!_byId.TryGetValue(id, out var node))
            {
                return null;
            }

            node.Value.LastUsed = now;
            _byUse.Remove(node);
            _byUse.AddFirst(node);
            return node.Value.Brand;
        }

        /// <summary>Removes the drafts last used before <paramref name="cutoff"/>; true when none is left.</summary>
        public bool RemoveUsedBefore(DateTimeOffset cutoff)
        {
            while (_byUse.Last is { } oldest && oldest.Value.LastUsed <= cutoff)
            {
                Remove(oldest);
            }

            return _byUse.Count == 0;
        }

        private void Remove(LinkedListNode<Draft> node)
        {
            _byUse.Remove(node);
            _byId.Remove(node.Value.Id);
            _size -= node.Value.Size;
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
