using System.Resources;
using MimeKit;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>One "an encryption key was added for your address" mail.</summary>
/// <param name="Brand">The portal's neutral brand (as for the passkey mail: the address may hear from several tenants).</param>
/// <param name="Language">"en" or "nl"; null or unsupported = English.</param>
/// <param name="RecipientAddress">The address the key was added for (To).</param>
/// <param name="KindName">"S/MIME" or "OpenPGP".</param>
/// <param name="Fingerprint">The key's fingerprint (hex).</param>
/// <param name="AddedAt">When the key was added.</param>
/// <param name="FromAddress">The portal's notification address (From).</param>
/// <param name="FromName">The display name for <paramref name="FromAddress"/>; may be null.</param>
public sealed record RecipientKeyAddedMailRequest(
    BrandTemplate Brand,
    string? Language,
    string RecipientAddress,
    string KindName,
    string Fingerprint,
    DateTimeOffset AddedAt,
    string FromAddress,
    string? FromName);

/// <summary>
/// Tells an address that a key was added for it to the recipient key directory: from then on secure
/// messages to it may leave the portal encrypted to that key, so a key slipped in by someone else (an
/// admin's mistake, a taken-over session, a leaked API key) would redirect what only the address should
/// read. Like the passkey mail: neutral brand, no links, and what to do if it was not expected.
/// </summary>
public static class RecipientKeyAddedMailComposer
{
    /// <summary>The value of <see cref="PasscodeMailComposer.KindHeader"/> on this mail.</summary>
    public const string Kind = "recipient-key-added";

    private const string BaseName = "OmePortal.Core.Notifications.RecipientKeyAddedStrings";
    private static readonly ResourceManager Strings = new(BaseName, typeof(RecipientKeyAddedMailComposer).Assembly);

    /// <summary>Every key the code uses; a test checks each exists in every language.</summary>
    internal static IReadOnlyList<string> Keys { get; } = ["Subject", "Heading", "Added", "IfYou", "IfNotYou", "AutomaticLine", "LogoAlt"];

    public static MimeMessage Compose(RecipientKeyAddedMailRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AddressNoticeMail.Compose(
            Strings, "recipient key mail", request.Brand, request.Language, request.RecipientAddress, request.FromAddress, request.FromName, Kind, now,
            (added, culture, address) => added
                .Replace("{time}", request.AddedAt.UtcDateTime.ToString("f", culture), StringComparison.Ordinal)
                .Replace("{address}", address, StringComparison.Ordinal)
                .Replace("{kind}", BrandedMailLayout.SingleLine(request.KindName), StringComparison.Ordinal)
                .Replace("{fingerprint}", BrandedMailLayout.SingleLine(request.Fingerprint), StringComparison.Ordinal));
    }
}
