using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// Unsaved form values kept for a few minutes so the preview frames can render them. A draft belongs
/// to one tenant: asking for it from another tenant's admin finds nothing. The memory is bounded
/// (entries are sized by their logo and texts), so drafts cannot exhaust the server.
/// </summary>
public sealed class BrandPreviewDrafts : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(20);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 64L * 1024 * 1024 });

    /// <summary>Keeps <paramref name="brand"/> and answers its draft id (128 random bits, URL-safe).</summary>
    public string Store(Guid tenantId, BrandTemplate brand)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var size = 4096L + (brand.Logo?.Content.Length ?? 0)
            + brand.Texts.Values.Sum(t => (long)((t.IntroductionText?.Length ?? 0) + (t.EmailText?.Length ?? 0) + (t.DisclaimerText?.Length ?? 0)) * 2);
        _cache.Set(Key(tenantId, id), brand, new MemoryCacheEntryOptions { Size = size, SlidingExpiration = Lifetime });
        return id;
    }

    public BrandTemplate? Find(Guid tenantId, string? id) =>
        id is { Length: 32 } && id.All(char.IsAsciiHexDigitLower) && _cache.TryGetValue(Key(tenantId, id), out BrandTemplate? brand)
            ? brand
            : null;

    public void Dispose() => _cache.Dispose();

    private static string Key(Guid tenantId, string id) => $"{tenantId:N}/{id}";
}

/// <summary>A rendered notification mail: its subject line and its HTML part.</summary>
public sealed record MailPreview(string Subject, string Html);

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

    /// <summary>The subject and HTML of the notification mail <paramref name="brand"/> makes, in <paramref name="language"/>.</summary>
    public static MailPreview Mail(BrandTemplate brand, string language, Uri portalBase, DateTimeOffset now)
    {
        var message = NotificationComposer.Compose(new NotificationRequest(
            brand,
            language,
            SampleRecipientAddress,
            SampleSenderAddress,
            SampleSenderName,
            new Uri(portalBase, "/m/preview"),
            brand.ExpiryDays > 0 ? now.AddDays(brand.ExpiryDays) : null,
            "no-reply@" + (portalBase.IdnHost is { Length: > 0 } host && host.Contains('.') ? host : "portal.example"),
            null,
            Guid.Empty));

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

        return new MailPreview(message.Subject ?? string.Empty, html);
    }

    public static string? LogoDataUri(BrandLogo? logo) =>
        logo is null ? null : $"data:{logo.ContentType};base64,{Convert.ToBase64String(logo.Content)}";

    public static CultureInfo Culture(string language) => BrandLanguages.Culture(language);
}

/// <summary>WCAG 2.1 contrast between two <c>#RRGGBB</c> colours, to warn an admin before a brand colour makes portal text unreadable.</summary>
public static class BrandContrast
{
    /// <summary>The portal's body and muted text colours (wwwroot/css/site.css), drawn straight on the brand background.</summary>
    public static readonly string[] PortalTextColours = ["#201F1E", "#605E5C"];

    /// <summary>The contrast ratio (1..21) of two colours; 1 when either is not <c>#RRGGBB</c>.</summary>
    public static double Ratio(string a, string b)
    {
        if (!Core.Branding.BrandValidator.IsColor(a) || !Core.Branding.BrandValidator.IsColor(b))
        {
            return 1;
        }

        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    /// <summary>Whether the portal's own text stays readable (4.5:1, WCAG AA) on <paramref name="background"/>.</summary>
    public static bool PortalTextReadable(string background) =>
        PortalTextColours.All(text => Ratio(text, background) >= 4.5);

    private static double Luminance(string colour)
    {
        static double Channel(string hex)
        {
            var c = Convert.ToInt32(hex, 16) / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }

        return (0.2126 * Channel(colour[1..3])) + (0.7152 * Channel(colour[3..5])) + (0.0722 * Channel(colour[5..7]));
    }
}
