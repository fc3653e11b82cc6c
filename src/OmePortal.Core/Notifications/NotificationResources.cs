using System.Globalization;
using System.Resources;

namespace OmePortal.Core.Notifications;

/// <summary>
/// The localised texts of notifications (NotificationStrings.resx, English, and its Dutch satellite
/// NotificationStrings.nl.resx). Placeholders are named (<c>{sender}</c>, <c>{date}</c>) and replaced
/// literally, never through <see cref="string.Format(string, object?[])"/>.
/// </summary>
internal static class NotificationResources
{
    internal const string BaseName = "OmePortal.Core.Notifications.NotificationStrings";

    internal static ResourceManager Manager { get; } = new(BaseName, typeof(NotificationResources).Assembly);

    /// <summary>Every key the code uses; a test checks each exists in every language.</summary>
    internal static IReadOnlyList<string> Keys { get; } =
    [
        "Subject",
        "ExpiryLine",
        "LinkFallback",
        "PrivacyStatement",
        "LogoAlt",
        "AttachmentTitle",
        "AttachmentExplanation",
        "Default_IntroductionText",
        "Default_ReadButtonText",
        "Default_EmailText",
        "Default_DisclaimerText",
        "SignInLine",
        "SignInPasscode",
        "SignInMicrosoft",
        "SignInProvider",
        "SignInOr",
        "Default_PortalText",
    ];

    internal static string Get(string key, CultureInfo culture) =>
        Manager.GetString(key, culture)
        ?? throw new MissingManifestResourceException($"The notification text '{key}' is missing from {BaseName}.");
}
