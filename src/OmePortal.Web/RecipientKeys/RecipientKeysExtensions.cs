using OmePortal.Web.RecipientKeys;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The recipient key directory, trust anchors and signing identities (issue 22), and their REST API.</summary>
public static class RecipientKeysExtensions
{
    public static WebApplicationBuilder AddRecipientKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<RecipientKeyDirectory>();
        builder.Services.AddScoped<RecipientTrustAnchors>();
        builder.Services.AddScoped<SigningIdentities>();
        builder.Services.AddScoped<RecipientOwnKeys>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRecipientKeysApi(this IEndpointRouteBuilder app)
    {
        RecipientKeysApi.Map(app);
        return app;
    }
}
