using Microsoft.EntityFrameworkCore;
using OmePortal.Data;

namespace OmePortal.Web.Portal;

public static class PortalExtensions
{
    /// <summary>How long a browser keeps a brand logo: a replaced logo shows everywhere within this time.</summary>
    public static readonly TimeSpan LogoMaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The link page's lookup and the brand of recipient pages.</summary>
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<RecipientLinks>();
        builder.Services.AddScoped<PageBrands>();
        return builder;
    }

    /// <summary>
    /// <c>GET /brand/{templateId}/logo</c>: the logo of a template, for the header of its recipient pages. It is
    /// the logo every notification mail of the template carries, so knowing the template id (which only pages
    /// drawn in that brand show) is enough; a page view does not carry the bytes, and the browser keeps them
    /// for <see cref="LogoMaxAge"/>. The type was judged by content when the logo was stored (PNG, JPEG or GIF).
    /// </summary>
    public static IEndpointRouteBuilder MapPortal(this IEndpointRouteBuilder app)
    {
        app.MapGet("/brand/{templateId:guid}/logo", async (Guid templateId, OmePortalDbContext db, HttpResponse response, CancellationToken cancellationToken) =>
        {
            var logo = await db.BrandTemplates.AsNoTracking()
                .Where(t => t.Id == templateId && t.Logo != null && t.LogoContentType != null)
                .Select(t => new { t.Logo, t.LogoContentType })
                .FirstOrDefaultAsync(cancellationToken);
            if (logo is null)
            {
                return Results.NotFound();
            }

            response.Headers.CacheControl = $"private, max-age={(int)LogoMaxAge.TotalSeconds}";
            response.Headers.XContentTypeOptions = "nosniff";
            return Results.File(logo.Logo!, logo.LogoContentType);
        });
        return app;
    }
}
