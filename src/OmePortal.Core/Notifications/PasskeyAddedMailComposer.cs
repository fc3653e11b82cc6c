using System.Globalization;
using System.Resources;
using MimeKit;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>One "a passkey was added" mail to the address the passkey signs in as.</summary>
/// <param name="Brand">The portal's neutral brand (not a tenant's: see <see cref="PasskeyAddedMailComposer"/>).</param>
/// <param name="Language">"en" or "nl" (the page the passkey was added from); null or unsupported = English.</param>
/// <param name="RecipientAddress">The address the passkey signs in as (To).</param>
/// <param name="PasskeyName">The name the recipient gave the passkey (untrusted text, encoded).</param>
/// <param name="AddedAt">When the passkey was added.</param>
/// <param name="FromAddress">The portal's notification address (From).</param>
/// <param name="FromName">The display name for <paramref name="FromAddress"/>; may be null.</param>
public sealed record PasskeyAddedMailRequest(
    BrandTemplate Brand,
    string? Language,
    string RecipientAddress,
    string PasskeyName,
    DateTimeOffset AddedAt,
    string FromAddress,
    string? FromName);

/// <summary>
/// The mail that tells an address a passkey was added to it, so that someone who took over a session
/// (a computer left signed in) cannot quietly keep a way in. It is in the portal's neutral brand, not a
/// tenant's: a passkey belongs to an address, which may receive messages of several tenants, and no
/// tenant should learn of the others. Like the passcode mail it has no links (nothing to click is easy to
/// tell from phishing that imitates it) and says what to do if it was not the reader.
/// </summary>
public static class PasskeyAddedMailComposer
{
    /// <summary>The value of <see cref="PasscodeMailComposer.KindHeader"/> on this mail.</summary>
    public const string Kind = "passkey-added";

    private const string BaseName = "OmePortal.Core.Notifications.PasskeyAddedStrings";
    private static readonly ResourceManager Strings = new(BaseName, typeof(PasskeyAddedMailComposer).Assembly);

    /// <summary>Every key the code uses; a test checks each exists in every language.</summary>
    internal static IReadOnlyList<string> Keys { get; } = ["Subject", "Heading", "Added", "IfYou", "IfNotYou", "AutomaticLine", "LogoAlt"];

    /// <summary>Builds the mail at <paramref name="now"/>. Throws <see cref="ArgumentException"/> for a bad address.</summary>
    public static MimeMessage Compose(PasskeyAddedMailRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AddressNoticeMail.Compose(
            Strings, "passkey mail", request.Brand, request.Language, request.RecipientAddress, request.FromAddress, request.FromName, Kind, now,
            (added, culture, address) => added
                .Replace("{time}", request.AddedAt.UtcDateTime.ToString("f", culture), StringComparison.Ordinal)
                .Replace("{address}", address, StringComparison.Ordinal)
                .Replace("{name}", BrandedMailLayout.SingleLine(request.PasskeyName), StringComparison.Ordinal));
    }
}
