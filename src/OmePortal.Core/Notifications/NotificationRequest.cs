using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>
/// One notification to one recipient of a protected message. Deliberately carries nothing the message
/// says (no subject, no body): only who sent it, where to read it and until when.
/// </summary>
/// <param name="Brand">The brand template to apply.</param>
/// <param name="Language">"en", "nl" (or a tag such as "nl-BE"); null or unsupported = the brand's default language.</param>
/// <param name="RecipientAddress">The recipient's address (To).</param>
/// <param name="SenderAddress">The original sender's address (Reply-To, and shown in the texts).</param>
/// <param name="SenderName">The original sender's display name, untrusted; may be null.</param>
/// <param name="Link">The recipient's portal link (absolute http or https).</param>
/// <param name="ExpiresAt">When the message expires; null = never.</param>
/// <param name="FromAddress">The portal's notification address (From).</param>
/// <param name="FromName">The display name for <paramref name="FromAddress"/>; may be null.</param>
/// <param name="MessageId">The protected message's id, put in <c>X-OmePortal-Message-Id</c> for tracing.</param>
/// <param name="OriginalSubject">
/// The original message's subject, untrusted; the mail's subject carries it only when the brand says so
/// (<see cref="BrandTemplate.SubjectInNotification"/>), and never anywhere else.
/// </param>
/// <param name="SignIn">
/// The ways the recipient can prove the address for this message, which the mail names; null names none
/// (the mail then promises no particular way in).
/// </param>
public sealed record NotificationRequest(
    BrandTemplate Brand,
    string? Language,
    string RecipientAddress,
    string SenderAddress,
    string? SenderName,
    Uri Link,
    DateTimeOffset? ExpiresAt,
    string FromAddress,
    string? FromName,
    Guid MessageId,
    NotificationSignIn? SignIn = null,
    string? OriginalSubject = null);

/// <summary>The sign-in methods a recipient of one message really has, as a notification names them.</summary>
/// <param name="Passcode">A one-time passcode sent to the recipient's address.</param>
/// <param name="Microsoft">A Microsoft account (a Microsoft provider is configured and the brand allows it).</param>
/// <param name="OtherProviders">The display names of the other OpenID Connect providers on offer.</param>
public sealed record NotificationSignIn(bool Passcode, bool Microsoft, IReadOnlyList<string> OtherProviders)
{
    public bool Any => Passcode || Microsoft || OtherProviders.Count > 0;
}
