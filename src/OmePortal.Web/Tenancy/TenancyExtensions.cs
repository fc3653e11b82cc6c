using OmePortal.Web.Tenancy;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>What belongs to a tenant beyond its rows: the senders it may use (its accepted domains).</summary>
public static class TenancyExtensions
{
    public static WebApplicationBuilder AddTenancy(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BootstrapOptions>().ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<AcceptedSenders>();
        return builder;
    }
}
