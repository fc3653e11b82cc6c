using OmePortal.Web.Replies;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Replies, reply-all and forwards written in the portal (<c>/messages/{id}/reply</c>, a Razor Page in this folder).</summary>
public static class RepliesExtensions
{
    public static WebApplicationBuilder AddReplies(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RepliesOptions>().BindConfiguration(RepliesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<ReplyComposer>();
        builder.Services.AddScoped<ReplyQuotas>();
        builder.Services.AddScoped<ReplyFormReader>();
        builder.Services.AddScoped<SentItems>();
        return builder;
    }

    public static IEndpointRouteBuilder MapReplies(this IEndpointRouteBuilder app) => app;
}
