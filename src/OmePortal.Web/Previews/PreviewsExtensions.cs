using OmePortal.Web.Previews;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Attachment previews rendered on the server (issue 23): converters, their limits, the encrypted page store.</summary>
public static class PreviewsExtensions
{
    public static WebApplicationBuilder AddPreviews(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PreviewOptions>().BindConfiguration(PreviewOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PreviewConverter>();
        builder.Services.AddScoped<AttachmentPreviews>();
        builder.Services.AddHostedService<PreviewsAtIntake>();
        return builder;
    }
}
