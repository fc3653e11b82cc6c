using System.Globalization;
using System.Resources;
using System.Text;
using MimeKit;
using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>
/// The shape shared by the mails that tell an address something was added to it (a passkey, a recipient key):
/// in the given brand, a heading, what was added and when, what to do if it was the reader and, in bold, if it
/// was not; no links. Each mail brings its own texts (Subject, Heading, Added, IfYou, IfNotYou, AutomaticLine,
/// LogoAlt) and fills the placeholders of its "Added" line.
/// </summary>
internal static class AddressNoticeMail
{
    /// <param name="fillAdded">The "Added" text with its placeholders filled, given the text, the culture and the recipient's address.</param>
    public static MimeMessage Compose(
        ResourceManager strings,
        string mailName,
        BrandTemplate brand,
        string? requestedLanguage,
        string recipientAddress,
        string fromAddress,
        string? fromName,
        string kind,
        DateTimeOffset now,
        Func<string, CultureInfo, string, string> fillAdded)
    {
        ArgumentNullException.ThrowIfNull(brand);
        var language = BrandLanguages.Normalize(requestedLanguage) ?? BrandLanguages.Default;
        var culture = BrandLanguages.Culture(language);
        string T(string key) => strings.GetString(key, culture)
            ?? throw new MissingManifestResourceException($"The {mailName} text '{key}' is missing from {strings.BaseName}.");

        var recipient = BrandedMailLayout.Mailbox(null, recipientAddress, nameof(recipientAddress));
        var layout = BrandedMailLayout.For(brand, language, fromAddress, fromName, T("LogoAlt"));
        var subject = T("Subject");
        var added = fillAdded(T("Added"), culture, recipient.Address);

        var message = layout.NewMessage(recipient, subject, now);
        message.Headers.Add(PasscodeMailComposer.KindHeader, kind);

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
