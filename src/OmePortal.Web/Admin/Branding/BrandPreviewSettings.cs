using Microsoft.Extensions.Options;
using OmePortal.Core.Branding;
using OmePortal.Web.Access.External;
using OmePortal.Web.Notifications;
using OmePortal.Web.Portal;

namespace OmePortal.Web.Admin.Branding;

/// <summary>
/// What the previews need from the running portal so they show what recipients will get: the notification
/// mail's real From, and the sign-in methods a message of the admin's tenant would really offer with a brand.
/// </summary>
public sealed class BrandPreviewSettings(IOptions<NotificationOptions> notifications, ExternalProviders providers, AdminScope scope)
{
    /// <summary>Whether any external provider is open to the admin's tenant: without one the Microsoft switch changes nothing.</summary>
    public bool ExternalSignInConfigured => SignIn(new BrandTemplate { Name = string.Empty, MicrosoftSignInEnabled = true }).Providers.Count > 0;

    public SignInOffer SignIn(BrandTemplate brand) => SignInOffer.For(brand, scope.TenantId, providers);

    public MailPreview Mail(BrandTemplate brand, string language, Uri portalBase, DateTimeOffset now) =>
        BrandPreview.Mail(brand, language, portalBase, now, notifications.Value.FromAddress, notifications.Value.FromName, SignIn(brand).ForMail());
}
