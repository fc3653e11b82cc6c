using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;
using OmePortal.Core.Tests.Branding;

namespace OmePortal.Core.Tests.Notifications;

/// <summary>The tenant's switch for notifications in both languages.</summary>
public sealed class NotificationLanguageTests
{
    private static BrandTemplate DefaultBrand { get; } = BrandLoader.LoadDirectory(BrandTestData.DefaultBrandDirectory);

    private static MimeMessage Compose(BrandTemplate brand, string? language)
    {
        var composed = NotificationComposer.Compose(new NotificationRequest(
            brand, language, "bob@fabrikam.example", "alice@contoso.example", "Alice Example",
            new Uri("https://portal.contoso.example/m/abc"), new DateTimeOffset(2026, 6, 5, 14, 30, 0, TimeSpan.Zero),
            "notify@portal.contoso.example", null, Guid.NewGuid()));
        using var stream = new MemoryStream();
        composed.WriteTo(FormatOptions.Default, stream);
        stream.Position = 0;
        return MimeMessage.Load(stream);
    }

    private static string AttachmentText(MimeMessage mail) =>
        ((TextPart)mail.Attachments.Single()).Text;

    [Fact]
    public void BothLanguagesOff_OneLanguageOnly()
    {
        var mail = Compose(DefaultBrand, "nl");
        var en = DefaultBrand.TextsFor("en");
        Assert.Equal("nl", mail.Body!.Headers[HeaderId.ContentLanguage]);
        Assert.DoesNotContain(en.ReadButtonText!, mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain(en.ReadButtonText!, mail.TextBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nl", "en")]
    [InlineData("en", "nl")]
    [InlineData(null, "nl")] // no language known: the brand's default (English) first
    public void BothLanguagesOn_CarriesBothTexts_TheRecipientsFirst(string? language, string second)
    {
        var brand = DefaultBrand with { NotifyInBothLanguages = true };
        var mail = Compose(brand, language);
        var first = language ?? "en";
        var firstTexts = brand.TextsFor(first);
        var secondTexts = brand.TextsFor(second);
        Assert.NotEqual(firstTexts.ReadButtonText, secondTexts.ReadButtonText);

        Assert.Equal($"{first}, {second}", mail.Body!.Headers[HeaderId.ContentLanguage]);
        var subjects = mail.Subject!.Split(" / ");
        Assert.Equal(2, subjects.Length);
        Assert.Equal(Compose(DefaultBrand, first).Subject, subjects[0]);
        Assert.Equal(Compose(DefaultBrand, second).Subject, subjects[1]);

        foreach (var body in new[] { mail.HtmlBody!, mail.TextBody!, AttachmentText(mail) })
        {
            var firstAt = body.IndexOf(firstTexts.ReadButtonText!, StringComparison.Ordinal);
            var secondAt = body.IndexOf(secondTexts.ReadButtonText!, StringComparison.Ordinal);
            Assert.True(firstAt >= 0 && secondAt > firstAt, $"{first} before {second}");
        }

        // The HTML page is in the first language, and the second language's blocks say which they are.
        Assert.Contains($"<html lang=\"{first}\"", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains($"lang=\"{second}\"", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains($"<section lang=\"{second}\">", AttachmentText(mail), StringComparison.Ordinal);

        // Both disclaimers end the text part, after the signature separator.
        var text = mail.TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal);
        var signature = text.LastIndexOf("\n-- \n", StringComparison.Ordinal);
        Assert.True(signature > 0);
        Assert.Contains(firstTexts.DisclaimerText!, text[signature..], StringComparison.Ordinal);
        Assert.Contains(secondTexts.DisclaimerText!, text[signature..], StringComparison.Ordinal);
    }

    [Fact]
    public void BothLanguages_SurvivesBrandJson()
    {
        var brand = DefaultBrand with { NotifyInBothLanguages = true, Logo = null };
        var json = BrandSerializer.ToJson(brand);
        Assert.Contains("\"notifyInBothLanguages\": true", json, StringComparison.Ordinal);
        Assert.True(BrandSerializer.FromJson(json, null).NotifyInBothLanguages);

        // Off is the default and is not written, so existing brand.json files keep their exact text.
        Assert.DoesNotContain("notifyInBothLanguages", BrandSerializer.ToJson(brand with { NotifyInBothLanguages = false }), StringComparison.Ordinal);
        Assert.False(BrandSerializer.FromJson(BrandSerializer.ToJson(DefaultBrand with { Logo = null }), null).NotifyInBothLanguages);
    }
}
