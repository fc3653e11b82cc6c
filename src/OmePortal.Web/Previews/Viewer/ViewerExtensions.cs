using OmePortal.Web.Previews.Viewer;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The attachment viewer: the preview page (a Razor Page beside <see cref="PreviewPagesEndpoint"/>) and its page images.</summary>
public static class ViewerExtensions
{
    public static WebApplicationBuilder AddPreviewViewer(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PageWatermark>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPreviewViewer(this IEndpointRouteBuilder app) => app.MapPreviewPages();
}
