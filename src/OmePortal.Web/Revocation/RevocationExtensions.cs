using OmePortal.Web.Revocation;

namespace Microsoft.Extensions.DependencyInjection;

public static class RevocationExtensions
{
    /// <summary>Revocation (admin and sender), crypto-shredding of unreadable messages, and the expiry sweeper (which also removes stale anonymous state).</summary>
    public static WebApplicationBuilder AddRevocation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RevocationOptions>().BindConfiguration(RevocationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<MessageShredder>();
        builder.Services.AddScoped<MessageRevocation>();
        builder.Services.AddScoped<SenderRevocation>();
        builder.Services.AddScoped<AnonymousStateSweeper>();
        builder.Services.AddSingleton<ExpirySweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExpirySweeper>());
        return builder;
    }
}
