using Microsoft.Extensions.Options;
using OmePortal.Web.Smtp;

namespace Microsoft.Extensions.DependencyInjection;

public static class SmtpGatewayExtensions
{
    /// <summary>
    /// The SMTP gateway (section <c>OmePortal:Smtp</c>): options validated at start, and the hosted
    /// listener. It is always registered; with <c>Enabled=false</c> it does nothing and is not awaited
    /// by the readiness check (configuration overrides of a test host are only visible once built).
    /// </summary>
    public static WebApplicationBuilder AddSmtpGateway(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SmtpGatewayOptions>().BindConfiguration(SmtpGatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SmtpGatewayOptions>, SmtpGatewayOptionsValidator>();
        builder.Services.AddSingleton<SmtpClientLimits>();
        builder.Services.AddSingleton<SmtpConnectorFilter>();
        builder.Services.AddSingleton<SmtpApiKeyAuthenticator>();
        builder.Services.AddSingleton<SmtpMessageStore>();
        builder.Services.AddSingleton<SmtpGatewayService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SmtpGatewayService>());
        builder.Services.AddSingleton<ISmtpGatewayCertificate>(sp => sp.GetRequiredService<SmtpGatewayService>());
        return builder;
    }
}
