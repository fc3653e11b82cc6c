using OmePortal.Web.Admin.Keys;

namespace Microsoft.Extensions.DependencyInjection;

public static class KeysAdminExtensions
{
    /// <summary>The keys admin (/admin/keys): tenant key rotation with its re-wrap job, API keys.</summary>
    public static WebApplicationBuilder AddKeysAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<KeyAdministration>();
        builder.Services.AddSingleton<RewrapSignal>();
        builder.Services.AddHostedService<RewrapOnRotation>();
        return builder;
    }
}
