using OmePortal.Core.Branding;

namespace OmePortal.Core.Notifications;

/// <summary>
/// One passcode mail to one address (docs/ARCHITECTURE.md §7). Carries nothing about any message: only the code,
/// the reference code the sign-in page also shows, and when the code stops working.
/// </summary>
/// <param name="Brand">The brand template to apply (logo, colour, portal text, disclaimer).</param>
/// <param name="Language">"en", "nl" (or a tag such as "nl-BE"); null or unsupported = the brand's default language.</param>
/// <param name="RecipientAddress">The address that asked for the passcode (To).</param>
/// <param name="Code">The one-time passcode: 6 to 10 ASCII digits (the portal sends 8).</param>
/// <param name="ReferenceCode">The challenge's reference code (1 to 16 letters, digits or hyphens), shown in the subject and body.</param>
/// <param name="ExpiresAt">When the passcode stops working.</param>
/// <param name="FromAddress">The portal's notification address (From).</param>
/// <param name="FromName">The display name for <paramref name="FromAddress"/>; may be null.</param>
public sealed record PasscodeMailRequest(
    BrandTemplate Brand,
    string? Language,
    string RecipientAddress,
    string Code,
    string ReferenceCode,
    DateTimeOffset ExpiresAt,
    string FromAddress,
    string? FromName);
