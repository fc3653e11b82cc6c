using System.Globalization;
using System.Resources;

namespace OmePortal.Core.Notifications;

/// <summary>
/// The localised texts of the passcode mail (PasscodeStrings.resx, English, and its Dutch satellite
/// PasscodeStrings.nl.resx). Placeholders are named (<c>{reference}</c>, <c>{minutes}</c>, <c>{time}</c>)
/// and replaced literally, never through <see cref="string.Format(string, object?[])"/>.
/// </summary>
internal static class PasscodeMailResources
{
    internal const string BaseName = "OmePortal.Core.Notifications.PasscodeStrings";

    internal static ResourceManager Manager { get; } = new(BaseName, typeof(PasscodeMailResources).Assembly);

    /// <summary>Every key the code uses; a test checks each exists in every language.</summary>
    internal static IReadOnlyList<string> Keys { get; } =
    [
        "Subject",
        "Heading",
        "Introduction",
        "ReferenceLabel",
        "ReferenceExplanation",
        "ExpiryMinutes",
        "ExpiryOneMinute",
        "ExpiryAt",
        "IgnoreLine",
        "NeverShare",
        "AutomaticLine",
        "LogoAlt",
        "SenderFallback",
    ];

    internal static string Get(string key, CultureInfo culture) =>
        Manager.GetString(key, culture)
        ?? throw new MissingManifestResourceException($"The passcode mail text '{key}' is missing from {BaseName}.");
}
