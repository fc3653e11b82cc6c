using System.Resources;
using System.Text;
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
        ArgumentNullException.ThrowIfNull(request.Brand, nameof(request.Brand));
        var language = BrandLanguages.Normalize(request.Language) ?? BrandLanguages.Default;
        var culture = BrandLanguages.Culture(language);
        string T(string key) => Strings.GetString(key, culture)
            ?? throw new MissingManifestResourceException($"The recipient key mail text '{key}' is missing from {BaseName}.");

        var recipient = BrandedMailLayout.Mailbox(null, request.RecipientAddress, nameof(request.RecipientAddress));
        var layout = BrandedMailLayout.For(request.Brand, language, request.FromAddress, request.FromName, T("LogoAlt"));
        var subject = T("Subject");
        var added = T("Added")
            .Replace("{time}", request.AddedAt.UtcDateTime.ToString("f", culture), StringComparison.Ordinal)
            .Replace("{address}", recipient.Address, StringComparison.Ordinal)
            .Replace("{kind}", BrandedMailLayout.SingleLine(request.KindName), StringComparison.Ordinal)
            .Replace("{fingerprint}", BrandedMailLayout.SingleLine(request.Fingerprint), StringComparison.Ordinal);

        var message = layout.NewMessage(recipient, subject, now);
        message.Headers.Add(PasscodeMailComposer.KindHeader, Kind);

        var E = BrandedMailLayout.E;
        var rows = new StringBuilder(1024);
        rows.Append(BrandedMailLayout.TextRow($"<h1 style=\"margin:0;font-size:20px;line-height:28px;font-weight:600;\">{E(T("Heading"))}</h1>", "16px 32px 8px 32px", 20, 28, extraStyle: "font-weight:600;"));
        rows.Append(BrandedMailLayout.TextRow(E(added)));
        rows.Append(BrandedMailLayout.TextRow(E(T("IfYou"))));
        rows.Append(BrandedMailLayout.TextRow($"<strong>{E(T("IfNotYou"))}</strong>", "8px 32px 16px 32px"));
        var text = BrandedMailLayout.Text([T("Heading"), added, T("IfYou"), T("IfNotYou"), T("AutomaticLine")], []);
        var alternative = layout.Body(text, layout.Html(subject, rows.ToString(), E(T("AutomaticLine"))));
        alternative.Headers.Add(HeaderId.ContentLanguage, language);
        message.Body = alternative;
        return message;
    }
}
