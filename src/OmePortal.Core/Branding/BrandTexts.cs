namespace OmePortal.Core.Branding;

/// <summary>
/// The texts of a brand in one language. Each text may be <see langword="null"/>, meaning "fall back"
/// (to the brand's default language, then to the built-in text). An empty string is a deliberate
/// "show nothing" and does not fall back.
/// </summary>
/// <remarks>
/// <see cref="IntroductionText"/>, <see cref="EmailText"/> and <see cref="DisclaimerText"/> may contain the
/// placeholder <c>{sender}</c>, replaced in the notification mail by the sender's name and address. Line
/// breaks in those three texts are kept. Texts are plain text, never HTML: they are always encoded.
/// </remarks>
public sealed record BrandTexts
{
    /// <summary>The line above the read button, e.g. "{sender} has sent you a protected message." (≤ 1024).</summary>
    public string? IntroductionText { get; init; }

    /// <summary>The text of the read button, e.g. "Read the message" (≤ 1024, not blank).</summary>
    public string? ReadButtonText { get; init; }

    /// <summary>Text below the read button (≤ 1024).</summary>
    public string? EmailText { get; init; }

    /// <summary>The small print at the bottom of the mail (≤ 1024).</summary>
    public string? DisclaimerText { get; init; }

    /// <summary>A single line shown in the portal's sign-in and reading pages (≤ 128, no line breaks).</summary>
    public string? PortalText { get; init; }

    /// <summary>The placeholder replaced by the sender in the introduction, email and disclaimer texts.</summary>
    public const string SenderPlaceholder = "{sender}";

    /// <summary>Each field of this instance, or of <paramref name="fallback"/> where this one is null.</summary>
    public BrandTexts FallBackTo(BrandTexts? fallback) => fallback is null ? this : new BrandTexts
    {
        IntroductionText = IntroductionText ?? fallback.IntroductionText,
        ReadButtonText = ReadButtonText ?? fallback.ReadButtonText,
        EmailText = EmailText ?? fallback.EmailText,
        DisclaimerText = DisclaimerText ?? fallback.DisclaimerText,
        PortalText = PortalText ?? fallback.PortalText,
    };
}
