using OmePortal.Web.Reading;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Reading protected messages: inbox, message page, body frame, inline images, remote images through the proxy, attachments.</summary>
public static class ReadingExtensions
{
    public static WebApplicationBuilder AddReading(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<MessageReader>();
        builder.Services.AddSingleton<InlineImageTickets>();
        builder.AddImageProxy();
        return builder;
    }

    /// <summary>
    /// Maps the body frame, inline images and the remote-image proxy; the inbox (<c>/inbox</c>), the message page
    /// (<c>/messages/{id}</c>) and downloads (<c>/messages/{id}/attachments/{index}</c>) are Razor Pages
    /// beside this file.
    /// </summary>
    public static IEndpointRouteBuilder MapReading(this IEndpointRouteBuilder app) => app.MapReadingEndpoints().MapImageProxy();
}
