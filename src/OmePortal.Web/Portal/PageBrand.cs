using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Web.Access;

namespace OmePortal.Web.Portal;

/// <summary>
/// The brand a recipient page of one message is drawn in: the template (its texts and sign-in switches), its
/// colours chosen by contrast (<see cref="BrandColors.PaletteFor"/>) and where its logo comes from. The layout
/// (Shared/_Layout.cshtml) renders it as a nonce'd block of CSS custom properties and a logo in the header;
/// a page without one keeps the neutral portal look (docs/ARCHITECTURE.md §7, "The brand on a recipient's pages").
/// </summary>
/// <param name="TemplateId">The stored template; null for an unsaved preview.</param>
/// <param name="LogoSource">A portal URL (<c>/brand/{id}/logo</c>) or, for an unsaved preview, a data URI; null without a logo.</param>
public sealed record PageBrand(Guid? TemplateId, BrandTemplate Template, PortalPalette Palette, string? LogoSource)
{
    /// <summary>The <see cref="ViewDataDictionary"/> key the layout reads.</summary>
    public const string ViewDataKey = "OmePortal.PageBrand";

    /// <summary>
    /// The colours as CSS custom properties for a nonce'd <c>&lt;style&gt;</c> block. Every value is a
    /// <c>#RRGGBB</c> that <see cref="BrandColors"/> produced, so nothing of the template's text reaches CSS.
    /// </summary>
    public string CustomProperties { get; } = string.Create(
        CultureInfo.InvariantCulture,
        $":root{{--brand-bg:{Palette.Background};--on-brand:{Palette.TextOnBackground};--accent:{Palette.Accent};--on-accent:{Palette.TextOnAccent};}}");

    /// <summary>The brand of an unsaved template for the admin's preview frames (logo inline, nothing cached).</summary>
    public static PageBrand Preview(BrandTemplate draft) =>
        new(null, draft, BrandColors.PaletteFor(draft.BackgroundColor), draft.Logo is { } logo ? $"data:{logo.ContentType};base64,{Convert.ToBase64String(logo.Content)}" : null);

    /// <summary>The URL the logo of template <paramref name="templateId"/> is served at (see <see cref="PortalExtensions.MapPortal"/>).</summary>
    public static string LogoUrl(Guid templateId) => $"/brand/{templateId:N}/logo";
}

/// <summary>How a page hands its brand to the layout.</summary>
public static class PageBrandViewData
{
    /// <summary>Draws the page in <paramref name="brand"/>; null keeps the neutral portal look.</summary>
    public static void ShowBrand(this PageModel page, PageBrand? brand) => page.ViewData[PageBrand.ViewDataKey] = brand;

    /// <summary>The brand a page asked for, or null.</summary>
    public static PageBrand? Brand(this ViewDataDictionary viewData) => viewData[PageBrand.ViewDataKey] as PageBrand;
}

/// <summary>
/// The one place that finds the brand of the message a recipient request is about. Who may see a brand:
/// the holder of a link (its page shows the brand anyway, before any sign-in), the holder of a passcode
/// challenge started from a link, and a signed-in reader who is a recipient of the message (the access
/// decision loaded the message for them); never a stranger asking by message id. The brand shown is the
/// public face of the template (colours, logo, the texts its notification mail carries), nothing of the message.
/// </summary>
/// <remarks>
/// Cheap on the reading path: the access decision already loads the template's JSON with the message row
/// (docs/ARCHITECTURE.md §12), so a reading page resolves its brand without a query, from a cache of
/// parsed brands keyed by the template id and its exact JSON (an edited template is new JSON, so no entry
/// is ever stale; bounded by clearing, as the number of templates in use is small). The logo is not in
/// the page: the browser fetches it once from <see cref="PageBrand.LogoUrl"/> and keeps it a few minutes.
/// </remarks>
public sealed class PageBrands(OmePortalDbContext db)
{
    private const int CacheLimit = 512;
    private static readonly ConcurrentDictionary<(Guid TemplateId, string Json), PageBrand> Parsed = new();

    /// <summary>The brand of a link that leads to a readable message.</summary>
    public PageBrand ForLink(LinkLookup.Found found) => Of(found.Template.Id, found.Template.Json);

    /// <summary>The brand a link's expired or revoked page shows (the link's holder saw it on the way in).</summary>
    public PageBrand? ForLink(LinkLookup lookup) => lookup switch
    {
        LinkLookup.Found found => ForLink(found),
        LinkLookup.Expired { Brand: { } brand } => Of(brand.TemplateId, brand.Json),
        LinkLookup.Revoked { Brand: { } brand } => Of(brand.TemplateId, brand.Json),
        _ => null,
    };

    /// <summary>
    /// The brand of the message an access decision was about, when the reader is one of its recipients
    /// (granted, expired, revoked, or signed in a way its brand refuses); null for a stranger or a visitor.
    /// </summary>
    public PageBrand? ForReader(AccessResult result) =>
        result.Message is { } message && result.ReadersRecipientRows.Count > 0 && result.TemplateJson is { } json
            ? Of(message.TemplateId, json)
            : null;

    /// <summary>
    /// The brand of the message a passcode challenge was started for from its link (the code page): the
    /// challenge id is as secret as the link it came from. Null for a challenge of the inbox sign-in.
    /// </summary>
    public async Task<PageBrand?> ForChallengeAsync(Guid challengeId, CancellationToken cancellationToken)
    {
        var template = await db.PasscodeChallenges.AsNoTracking()
            .Where(c => c.Id == challengeId && c.MessageId != null)
            .Join(db.Messages.AsNoTracking(), c => c.MessageId, m => m.Id, (c, m) => m)
            .Join(db.BrandTemplates.AsNoTracking(), m => m.TemplateId, t => t.Id, (m, t) => new { t.Id, t.Json })
            .FirstOrDefaultAsync(cancellationToken);
        return template is null ? null : Of(template.Id, template.Json);
    }

    /// <summary>
    /// The brand of template <paramref name="templateId"/> by its id alone: for the page after sign-out, which
    /// the signed-out visitor reaches from a branded page. The id is no secret worth more than the logo URL
    /// that already carries it; what it shows is the template's public face.
    /// </summary>
    public async Task<PageBrand?> ForTemplateAsync(Guid templateId, CancellationToken cancellationToken)
    {
        var json = await db.BrandTemplates.AsNoTracking().Where(t => t.Id == templateId).Select(t => t.Json).FirstOrDefaultAsync(cancellationToken);
        return json is null ? null : Of(templateId, json);
    }

    private static PageBrand Of(Guid templateId, string json)
    {
        if (Parsed.TryGetValue((templateId, json), out var known))
        {
            return known;
        }

        var (template, namesLogo) = BrandSerializer.FromJsonNamingLogo(json);
        var brand = new PageBrand(templateId, template, BrandColors.PaletteFor(template.BackgroundColor), namesLogo ? PageBrand.LogoUrl(templateId) : null);
        if (Parsed.Count >= CacheLimit)
        {
            Parsed.Clear();
        }

        Parsed[(templateId, json)] = brand;
        return brand;
    }
}

/// <summary>A template as the link lookup found it for an expired or revoked message: enough to draw its brand.</summary>
public sealed record BrandRef(Guid TemplateId, string Json);
