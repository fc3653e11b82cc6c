using OmePortal.Web.EndToEnd;

namespace Microsoft.Extensions.DependencyInjection;

public static class EndToEndExtensions
{
    /// <summary>
    /// Delivery per recipient (docs/ARCHITECTURE.md §6): the planner the ingestor and the rule tester ask, and the
    /// send-time composition of end-to-end copies. Needs <c>AddRecipientKeys()</c> (the key directory and the
    /// signing identities) and <c>AddMailFlowRules()</c> (the smart host the copies are relayed through).
    /// </summary>
    public static WebApplicationBuilder AddEndToEnd(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<DeliveryPlanner>();
        builder.Services.AddScoped<EndToEndMail>();
        return builder;
    }
}
