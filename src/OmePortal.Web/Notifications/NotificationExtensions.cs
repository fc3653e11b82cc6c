using Microsoft.Extensions.Options;
using OmePortal.Web.Hosting;
using OmePortal.Web.Notifications;

namespace Microsoft.Extensions.DependencyInjection;

public static class NotificationExtensions
{
    /// <summary>The durable notification queue, its dispatcher, and the configured transport (pickup directory by default).</summary>
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<NotificationOptions>()
            .BindConfiguration(NotificationOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NotificationOptions>, PickupDeliveryEnvironmentValidation>();
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<RecipientLanguages>();
        builder.Services.AddSingleton<IMailTransport>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<NotificationOptions>>().Value;
            return options.Delivery switch
            {
                MailDelivery.SmartHost => new SmartHostTransport(options.SmartHost),
                _ => new PickupDirectoryTransport(PickupDirectory(sp), options.PickupRetention, sp.GetRequiredService<TimeProvider>()),
            };
        });
        builder.Services.AddSingleton<NotificationDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        return builder;
    }

    public static string PickupDirectory(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<NotificationOptions>>().Value;
        return options.PickupDirectory ?? services.GetRequiredService<IOptions<OmePortalOptions>>().Value.ResolveDataPath("outbox");
    }
}
