using OmePortal.Web.Admin.Rules;
using OmePortal.Web.Rules;

namespace Microsoft.Extensions.DependencyInjection;

public static class RulesExtensions
{
    /// <summary>Mail-flow rules (section <c>OmePortal:Rules</c>): storage, evaluation and the smart-host relay for unencrypted mail.</summary>
    public static WebApplicationBuilder AddRules(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RulesOptions>().BindConfiguration(RulesOptions.Section).ValidateOnStart();
        builder.Services.AddScoped<RuleStore>();
        builder.Services.AddScoped<MailFlowRules>();
        builder.Services.AddScoped<RuleTester>();
        builder.Services.AddSingleton<SmtpRelay>();
        return builder;
    }
}
