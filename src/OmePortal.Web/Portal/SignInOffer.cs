using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Portal;

/// <summary>
/// The sign-in methods a recipient of one message really has: what the message's brand allows, and of the
/// external providers only those configured and open to the message's tenant. The link page offers exactly
/// these and the notification mail names exactly these, so neither promises a way in that does not exist
/// (no "sign in with your Microsoft account" when no Microsoft provider is configured).
/// </summary>
/// <param name="Passcode">A one-time passcode by mail (and, with it, a passkey registered after one).</param>
/// <param name="Providers">The external sign-ins to offer, in button order.</param>
public sealed record SignInOffer(bool Passcode, IReadOnlyList<ExternalProvider> Providers)
{
    /// <summary>Whether a passkey may sign in: it counts like a passcode (Core/Access/SignInChoices.cs).</summary>
    public bool Passkey => Passcode;

    public bool Any => Passcode || Providers.Count > 0;

    public static SignInOffer For(BrandTemplate brand, Guid tenantId, ExternalProviders providers) => new(
        brand.OtpEnabled,
        brand.MicrosoftSignInEnabled
            ? [.. providers.All.Where(p => p.Tenants.Count == 0 || p.Tenants.Contains(tenantId))]
            : []);

    /// <summary>What the notification mail says about signing in.</summary>
    public NotificationSignIn ForMail() => new(
        Passcode,
        Providers.Any(p => p.Kind == ExternalProviderKind.Microsoft),
        [.. Providers.Where(p => p.Kind != ExternalProviderKind.Microsoft).Select(p => p.DisplayName ?? p.Name)]);
}
