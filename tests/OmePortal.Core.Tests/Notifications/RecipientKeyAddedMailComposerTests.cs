using System.Globalization;
using System.Resources;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;

namespace OmePortal.Core.Tests.Notifications;

public sealed class RecipientKeyAddedMailComposerTests
{
    private static readonly DateTimeOffset AddedAt = new(2026, 12, 7, 22, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("en")]
    [InlineData("nl")]
    public void EveryText_ExistsInEveryLanguage(string language)
    {
        var manager = new ResourceManager("OmePortal.Core.Notifications.RecipientKeyAddedStrings", typeof(RecipientKeyAddedMailComposer).Assembly);
        var culture = CultureInfo.GetCultureInfo(language);
        foreach (var key in RecipientKeyAddedMailComposer.Keys)
        {
            var text = manager.GetResourceSet(culture, createIfNotExists: true, tryParents: false)?.GetString(key)
                ?? (language == "en" ? manager.GetString(key, CultureInfo.InvariantCulture) : null);
            Assert.False(string.IsNullOrWhiteSpace(text), $"{key} ({language})");
        }
    }

    [Fact]
    public void Compose_InDutch_NamesKindFingerprintAndAddress_WithoutLinks()
    {
        using var mail = RecipientKeyAddedMailComposer.Compose(
            new RecipientKeyAddedMailRequest(new BrandTemplate { Name = "Portal" }, "nl", "alice@example.nl", "OpenPGP", "ABCDEF0123456789", AddedAt, "portal@example.com", "Portal"),
            AddedAt);

        Assert.Equal("Er is een versleutelingssleutel toegevoegd voor uw adres", mail.Subject);
        Assert.Equal(RecipientKeyAddedMailComposer.Kind, mail.Headers[PasscodeMailComposer.KindHeader]);
        var text = mail.TextBody;
        Assert.Contains("OpenPGP-sleutel met vingerafdruk ABCDEF0123456789", text, StringComparison.Ordinal);
        Assert.Contains("alice@example.nl", text, StringComparison.Ordinal);
        Assert.DoesNotContain("href", mail.HtmlBody, StringComparison.OrdinalIgnoreCase);
    }
}
