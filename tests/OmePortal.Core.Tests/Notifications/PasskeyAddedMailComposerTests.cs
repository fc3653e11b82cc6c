using System.Globalization;
using System.Resources;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;

namespace OmePortal.Core.Tests.Notifications;

public sealed class PasskeyAddedMailComposerTests
{
    private static readonly DateTimeOffset AddedAt = new(2026, 12, 7, 11, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("en")]
    [InlineData("nl")]
    public void EveryText_ExistsInEveryLanguage(string language)
    {
        var manager = new ResourceManager("OmePortal.Core.Notifications.PasskeyAddedStrings", typeof(PasskeyAddedMailComposer).Assembly);
        var culture = CultureInfo.GetCultureInfo(language);
        foreach (var key in PasskeyAddedMailComposer.Keys)
        {
            var text = manager.GetResourceSet(culture, createIfNotExists: true, tryParents: false)?.GetString(key)
                ?? (language == "en" ? manager.GetString(key, CultureInfo.InvariantCulture) : null);
            Assert.False(string.IsNullOrWhiteSpace(text), $"{key} ({language})");
        }
    }

    [Fact]
    public void Compose_InDutch_NamesThePasskey_EncodedInHtml_WithoutLinksOrLogo()
    {
        using var mail = PasskeyAddedMailComposer.Compose(
            new PasskeyAddedMailRequest(new BrandTemplate { Name = "Portal" }, "nl-NL", "alice@example.nl", "Laptop <script>", AddedAt, "portal@example.com", "Portal"),
            AddedAt);
        Assert.Equal("Er is een passkey toegevoegd aan uw adres", mail.Subject);
        Assert.Equal("passkey-added", mail.Headers[PasscodeMailComposer.KindHeader]);
        Assert.Equal("alice@example.nl", mail.To.Mailboxes.Single().Address);
        Assert.Contains("“Laptop <script>”", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("alice@example.nl", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("Laptop &lt;script&gt;", mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("href=", mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain(mail.BodyParts, p => p.ContentType.MediaType == "image");
    }

    [Fact]
    public void Compose_WithAnUnsupportedLanguage_IsEnglish_AndABadAddressIsRefused()
    {
        using var mail = PasskeyAddedMailComposer.Compose(
            new PasskeyAddedMailRequest(new BrandTemplate { Name = "Portal" }, "fr", "alice@example.nl", "Phone", AddedAt, "portal@example.com", null),
            AddedAt);
        Assert.Equal("A passkey was added to your address", mail.Subject);
        Assert.Throws<ArgumentException>(() => PasskeyAddedMailComposer.Compose(
            new PasskeyAddedMailRequest(new BrandTemplate { Name = "Portal" }, "en", "not an address\r\nBcc: x@example.com", "Phone", AddedAt, "portal@example.com", null),
            AddedAt));
    }
}
