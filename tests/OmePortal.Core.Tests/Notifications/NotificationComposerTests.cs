using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;
using OmePortal.Core.Tests.Branding;

namespace OmePortal.Core.Tests.Notifications;

public sealed class NotificationComposerTests
{
    private static readonly Uri Link = new("https://portal.contoso.example/m/7Q2v-Xk_9aQ?t=Zx_9-1&lang=en");
    private static readonly Guid MessageId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static readonly DateTimeOffset Expiry = new(2026, 6, 5, 16, 30, 0, TimeSpan.FromHours(2)); // 14:30 UTC

    private static BrandTemplate DefaultBrand { get; } = BrandLoader.LoadDirectory(BrandTestData.DefaultBrandDirectory);

    private static NotificationRequest Request(
        BrandTemplate? brand = null,
        string? language = "en",
        string? senderName = "Alice Example",
        DateTimeOffset? expiresAt = null,
        Uri? link = null) =>
        new(
            Brand: brand ?? DefaultBrand,
            Language: language,
            RecipientAddress: "bob@fabrikam.example",
            SenderAddress: "alice@contoso.example",
            SenderName: senderName,
            Link: link ?? Link,
            ExpiresAt: expiresAt,
            FromAddress: "notify@portal.contoso.example",
            FromName: "Contoso Secure Mail",
            MessageId: MessageId);

    /// <summary>Composes, writes to bytes and parses back, so the tests see what a mail client sees.</summary>
    private static (MimeMessage Message, string Raw) ComposeAndParse(NotificationRequest request)
    {
        var composed = NotificationComposer.Compose(request);
        using var stream = new MemoryStream();
        composed.WriteTo(FormatOptions.Default, stream);
        var raw = Encoding.UTF8.GetString(stream.ToArray());
        stream.Position = 0;
        return (MimeMessage.Load(stream), raw);
    }

    private sealed record Parts(
        Multipart Mixed, MultipartAlternative Alternative, TextPart Text, TextPart Html, MultipartRelated? Related, MimePart? Logo, TextPart Attachment);

    private static Parts Structure(MimeMessage message)
    {
        var mixed = Assert.IsType<Multipart>(message.Body);
        Assert.Equal("multipart/mixed", mixed.ContentType.MimeType);
        Assert.Equal(2, mixed.Count);

        var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
        Assert.Equal(2, alternative.Count);
        var text = Assert.IsType<TextPart>(alternative[0]);
        Assert.Equal("text/plain", text.ContentType.MimeType);
        Assert.Equal("utf-8", text.ContentType.Charset ?? "", ignoreCase: true);

        TextPart html;
        MultipartRelated? related = null;
        MimePart? logo = null;
        if (alternative[1] is MultipartRelated r)
        {
            related = r;
            Assert.Equal(2, r.Count);
            html = Assert.IsType<TextPart>(r[0]);
            Assert.Same(html, r.Root);
            logo = Assert.IsAssignableFrom<MimePart>(r[1]);
            Assert.StartsWith("image/", logo.ContentType.MimeType, StringComparison.Ordinal);
        }
        else
        {
            html = Assert.IsType<TextPart>(alternative[1]);
        }

        Assert.Equal("text/html", html.ContentType.MimeType);
        Assert.False(html.IsAttachment);

        var attachment = Assert.IsType<TextPart>(mixed[1]);
        Assert.Equal("text/html", attachment.ContentType.MimeType);
        Assert.Equal("utf-8", attachment.ContentType.Charset ?? "", ignoreCase: true);
        Assert.True(attachment.IsAttachment);
        Assert.Equal(ContentDisposition.Attachment, attachment.ContentDisposition!.Disposition);
        Assert.Equal("message.html", attachment.FileName);

        return new Parts(mixed, alternative, text, html, related, logo, attachment);
    }

    private static string[] Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');

    private static string Href(Uri link) => $"href=\"{link.AbsoluteUri.Replace("&", "&amp;", StringComparison.Ordinal)}\"";

    [Fact]
    public void OriginalSubject_IsInTheMailSubject_OnlyWhenTheBrandSaysSo()
    {
        var original = "Your annual statement\r\n\u202E2026";
        var off = ComposeAndParse(Request() with { OriginalSubject = original }).Message;
        Assert.Equal("Alice Example has sent you a protected message", off.Subject);
        Assert.DoesNotContain("annual", ComposeAndParse(Request() with { OriginalSubject = original }).Raw, StringComparison.Ordinal);

        var brand = DefaultBrand with { SubjectInNotification = true };
        var on = ComposeAndParse(Request(brand: brand) with { OriginalSubject = original }).Message;
        Assert.Equal("Alice Example has sent you a protected message: Your annual statement 2026", on.Subject);

        var bilingual = ComposeAndParse(Request(brand: brand with { NotifyInBothLanguages = true }, language: "nl") with { OriginalSubject = "Jaaroverzicht" }).Message;
        Assert.Equal("Alice Example heeft u een beveiligd bericht gestuurd / Alice Example has sent you a protected message: Jaaroverzicht", bilingual.Subject);

        var cut = ComposeAndParse(Request(brand: brand) with { OriginalSubject = new string('x', 500) }).Message;
        Assert.EndsWith(": " + new string('x', NotificationComposer.MaxSubjectLength), cut.Subject, StringComparison.Ordinal);
        Assert.Equal("Alice Example has sent you a protected message", ComposeAndParse(Request(brand: brand) with { OriginalSubject = " \t " }).Message.Subject);
    }

    [Fact]
    public void English_HasTheStructure_TextsAndLinkEverywhere()
    {
        var (message, _) = ComposeAndParse(Request());
        var parts = Structure(message);
        var en = DefaultBrand.Texts["en"];

        Assert.Equal("Alice Example has sent you a protected message", message.Subject);

        var html = parts.Html.Text;
        Assert.Contains("<html lang=\"en\"", html, StringComparison.Ordinal);
        Assert.Contains(Href(Link), html, StringComparison.Ordinal);
        Assert.Matches($"<a {Regex.Escape(Href(Link))}[^>]*>{Regex.Escape(en.ReadButtonText!)}</a>", html);
        Assert.Contains("Alice Example (alice@contoso.example) has sent you a protected message.", html, StringComparison.Ordinal);
        Assert.Contains(en.EmailText!, html, StringComparison.Ordinal);
        Assert.Contains(en.DisclaimerText!, html, StringComparison.Ordinal);
        Assert.Contains("background-color:" + DefaultBrand.BackgroundColor, html, StringComparison.Ordinal);
        Assert.DoesNotContain("{sender}", html, StringComparison.Ordinal);

        var text = parts.Text.Text;
        Assert.Contains(Link.AbsoluteUri, Lines(text));
        Assert.Contains("Alice Example (alice@contoso.example) has sent you a protected message.", text, StringComparison.Ordinal);
        Assert.Contains(en.ReadButtonText!, text, StringComparison.Ordinal);
        Assert.Contains(en.EmailText!, text, StringComparison.Ordinal);
        Assert.Contains(en.DisclaimerText!, text, StringComparison.Ordinal);

        var page = parts.Attachment.Text;
        Assert.Contains(Href(Link), page, StringComparison.Ordinal);
        Assert.Contains(en.ReadButtonText!, page, StringComparison.Ordinal);
        Assert.Contains("<meta charset=\"utf-8\">", page, StringComparison.Ordinal);
        Assert.Contains("Protected message", page, StringComparison.Ordinal);
        Assert.Contains(DefaultBrand.BackgroundColor, page, StringComparison.Ordinal);
    }

    [Fact]
    public void Dutch_UsesDutchSubjectTextsAndExpiryLine()
    {
        var (message, _) = ComposeAndParse(Request(language: "nl", expiresAt: Expiry));
        var parts = Structure(message);
        var nl = DefaultBrand.Texts["nl"];

        Assert.Equal("Alice Example heeft u een beveiligd bericht gestuurd", message.Subject);
        Assert.Equal("nl", message.Body!.Headers[HeaderId.ContentLanguage]);

        var html = parts.Html.Text;
        Assert.Contains("<html lang=\"nl\"", html, StringComparison.Ordinal);
        Assert.Contains(">Lees het bericht</a>", html, StringComparison.Ordinal);
        Assert.Contains(nl.EmailText!, html, StringComparison.Ordinal);
        Assert.Contains(nl.DisclaimerText!, html, StringComparison.Ordinal);
        Assert.Contains("Alice Example (alice@contoso.example) heeft u een beveiligd bericht gestuurd.", html, StringComparison.Ordinal);

        const string expiry = "Dit bericht verloopt op vrijdag 5 juni 2026 14:30 UTC.";
        Assert.Contains(expiry, html, StringComparison.Ordinal);
        Assert.Contains(expiry, parts.Text.Text, StringComparison.Ordinal);
        Assert.Contains(expiry, parts.Attachment.Text, StringComparison.Ordinal);
        Assert.Contains("Beveiligd bericht", parts.Attachment.Text, StringComparison.Ordinal);
        Assert.Contains("<html lang=\"nl\"", parts.Attachment.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("expires", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void English_ExpiryLine_IsInUtcAndEnglishCulture()
    {
        var (message, _) = ComposeAndParse(Request(expiresAt: Expiry));
        var parts = Structure(message);

        var date = new DateTime(2026, 6, 5, 14, 30, 0, DateTimeKind.Utc).ToString("f", CultureInfo.GetCultureInfo("en"));
        Assert.Contains("June 5, 2026", date, StringComparison.Ordinal);
        var expected = $"This message expires on {date} UTC.";
        Assert.Contains(expected, parts.Html.Text, StringComparison.Ordinal);
        Assert.Contains(expected, parts.Text.Text, StringComparison.Ordinal);
        Assert.Contains(expected, parts.Attachment.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void NoExpiry_NoExpiryLine()
    {
        foreach (var language in new[] { "en", "nl" })
        {
            var parts = Structure(ComposeAndParse(Request(language: language)).Message);
            foreach (var body in new[] { parts.Html.Text, parts.Text.Text, parts.Attachment.Text })
            {
                Assert.DoesNotContain("expires on", body, StringComparison.Ordinal);
                Assert.DoesNotContain("verloopt op", body, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void NoLanguage_UsesTheBrandsDefaultLanguage()
    {
        var dutchBrand = DefaultBrand with { DefaultLanguage = "nl" };
        Assert.Equal("Alice Example heeft u een beveiligd bericht gestuurd", NotificationComposer.Compose(Request(dutchBrand, language: null)).Subject);
        Assert.Equal("Alice Example has sent you a protected message", NotificationComposer.Compose(Request(DefaultBrand, language: null)).Subject);
        Assert.Equal("Alice Example heeft u een beveiligd bericht gestuurd", NotificationComposer.Compose(Request(dutchBrand, language: "fr")).Subject);
        Assert.Equal("Alice Example heeft u een beveiligd bericht gestuurd", NotificationComposer.Compose(Request(DefaultBrand, language: "nl-BE")).Subject);
    }

    [Fact]
    public void Headers_FromToReplyToAndTracing()
    {
        var (message, _) = ComposeAndParse(Request());

        var from = Assert.IsType<MailboxAddress>(Assert.Single(message.From));
        Assert.Equal("notify@portal.contoso.example", from.Address);
        Assert.Equal("Contoso Secure Mail", from.Name);
        Assert.Equal("bob@fabrikam.example", Assert.IsType<MailboxAddress>(Assert.Single(message.To)).Address);
        var replyTo = Assert.IsType<MailboxAddress>(Assert.Single(message.ReplyTo));
        Assert.Equal("alice@contoso.example", replyTo.Address);
        Assert.Equal("Alice Example", replyTo.Name);
        Assert.Empty(message.Cc);
        Assert.Empty(message.Bcc);

        Assert.Equal(MessageId.ToString("D"), message.Headers[NotificationComposer.MessageIdHeader]);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);
        Assert.EndsWith("@portal.contoso.example", message.MessageId, StringComparison.Ordinal);
        Assert.NotEqual(message.MessageId, NotificationComposer.Compose(Request()).MessageId);
        Assert.True(Math.Abs((message.Date - DateTimeOffset.UtcNow).TotalMinutes) < 5);
    }

    [Fact]
    public void Subject_NamesOnlyTheSender_AndTheRequestCarriesNoMessageContent()
    {
        // No field through which a message's body could reach the mail; the subject only through OriginalSubject,
        // which the brand must switch on (OriginalSubject_IsInTheMailSubject_OnlyWhenTheBrandSaysSo).
        var fields = typeof(NotificationRequest).GetProperties().Select(p => p.Name).Order().ToArray();
        Assert.Equal(
            new[] { "Brand", "ExpiresAt", "FromAddress", "FromName", "Language", "Link", "MessageId", "OriginalSubject", "RecipientAddress", "SenderAddress", "SenderName", "SignIn" },
            fields);

        Assert.Equal("Alice Example has sent you a protected message", NotificationComposer.Compose(Request()).Subject);
        Assert.Equal("alice@contoso.example has sent you a protected message", NotificationComposer.Compose(Request(senderName: null)).Subject);
        Assert.Equal("alice@contoso.example heeft u een beveiligd bericht gestuurd", NotificationComposer.Compose(Request(language: "nl", senderName: "  \r\n ")).Subject);
    }

    [Fact]
    public void HostileSenderName_IsHarmless()
    {
        const string hostile = "Mallory\r\nBcc: victim@evil.example\r\nX-Injected: yes\n<script>alert(1)</script>\u202Egnp.exe";
        var (message, raw) = ComposeAndParse(Request(senderName: hostile, expiresAt: Expiry));
        var parts = Structure(message);

        Assert.Empty(message.Bcc);
        Assert.False(message.Headers.Contains("X-Injected"));
        Assert.False(message.Headers.Contains(HeaderId.Bcc));
        var normalized = raw.Replace("\r\n", "\n", StringComparison.Ordinal);
        var headerBlock = normalized[..normalized.IndexOf("\n\n", StringComparison.Ordinal)];
        Assert.DoesNotMatch("(?m)^(Bcc|X-Injected):", headerBlock);

        var subject = message.Subject ?? "";
        Assert.DoesNotContain('\r', subject);
        Assert.DoesNotContain('\n', subject);
        Assert.DoesNotContain('\u202E', subject);
        Assert.StartsWith("Mallory Bcc: victim@evil.example X-Injected: yes <script>", message.Subject, StringComparison.Ordinal);
        var replyTo = Assert.IsType<MailboxAddress>(Assert.Single(message.ReplyTo));
        Assert.Equal("alice@contoso.example", replyTo.Address);
        Assert.DoesNotContain('\n', replyTo.Name ?? "");

        foreach (var html in new[] { parts.Html.Text, parts.Attachment.Text })
        {
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
            Assert.DoesNotContain('\u202E', html);
        }
    }

    [Fact]
    public void HostileBrandTexts_AreEncoded()
    {
        var brand = new BrandTemplate
        {
            Name = "Hostile",
            BackgroundColor = "#FFFFFF;background:url(https://evil.example/x)",
            PrivacyStatementUrl = "javascript:alert(1)",
            Texts = new Dictionary<string, BrandTexts>
            {
                ["en"] = new()
                {
                    IntroductionText = "<img src=x onerror=alert(1)> from {sender}",
                    ReadButtonText = "\"><script>alert(2)</script>",
                    EmailText = "<a href=\"https://evil.example\">click</a>",
                    DisclaimerText = "<style>body{display:none}</style>",
                },
            },
        };

        var parts = Structure(ComposeAndParse(Request(brand)).Message);

        foreach (var html in new[] { parts.Html.Text, parts.Attachment.Text })
        {
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("evil.example\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<style>body", html, StringComparison.Ordinal);
            Assert.DoesNotContain("url(https://evil", html, StringComparison.Ordinal);
            Assert.DoesNotContain("javascript:", html, StringComparison.Ordinal);
            Assert.Contains("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;", html, StringComparison.Ordinal);
        }

        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; from Alice Example (alice@contoso.example)", parts.Html.Text, StringComparison.Ordinal);
        Assert.Contains("&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;", parts.Html.Text, StringComparison.Ordinal);
        Assert.Contains("background-color:#FFFFFF;", parts.Html.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Logo_IsARelatedPartReferencedByCid()
    {
        var parts = Structure(ComposeAndParse(Request()).Message);

        Assert.NotNull(parts.Related);
        Assert.NotNull(parts.Logo);
        Assert.Equal("image/png", parts.Logo.ContentType.MimeType);
        Assert.False(string.IsNullOrEmpty(parts.Logo.ContentId));
        Assert.Contains($"src=\"cid:{parts.Logo.ContentId}\"", parts.Html.Text, StringComparison.Ordinal);
        Assert.Contains("width=\"240\" height=\"60\"", parts.Html.Text, StringComparison.Ordinal);

        using var decoded = new MemoryStream();
        parts.Logo.Content!.DecodeTo(decoded);
        Assert.Equal(DefaultBrand.Logo!.Content, decoded.ToArray());
    }

    [Fact]
    public void GifLogo_KeepsItsType()
    {
        var parts = Structure(ComposeAndParse(Request(DefaultBrand with { Logo = new BrandLogo(BrandTestData.Gif, BrandLogo.Gif) })).Message);
        Assert.Equal("image/gif", parts.Logo?.ContentType.MimeType);
        Assert.Contains("width=\"1\" height=\"1\"", parts.Html.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void NoLogo_NoRelatedPart()
    {
        var (message, _) = ComposeAndParse(Request(DefaultBrand with { Logo = null }));
        var parts = Structure(message);

        Assert.Null(parts.Related);
        Assert.DoesNotContain("cid:", parts.Html.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(message.BodyParts, p => p.ContentType.MediaType == "image");
    }

    [Fact]
    public void LogoThatIsNotAnImage_IsLeftOut()
    {
        var brand = DefaultBrand with { Logo = new BrandLogo("<svg onload=alert(1)/>"u8.ToArray(), BrandLogo.Png) };
        var (message, _) = ComposeAndParse(Request(brand));
        Assert.Null(Structure(message).Related);
    }

    [Fact]
    public void MessageHtml_IsSelfContained()
    {
        var page = Structure(ComposeAndParse(Request()).Message).Attachment.Text;

        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", page, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("default-src 'none'", page, StringComparison.Ordinal);

        // Every URL in the page is the portal link.
        var urls = Regex.Matches(page, "https?://[^\"<\\s]+").Select(m => WebUtility.HtmlDecode(m.Value)).Distinct().ToArray();
        Assert.Equal(new[] { Link.AbsoluteUri }, urls);
    }

    [Fact]
    public void TextPart_PutsTheLinkOnItsOwnLine_AndTheDisclaimerLast()
    {
        var brand = BrandTestData.FullBrand();
        var text = Structure(ComposeAndParse(Request(brand)).Message).Text.Text;
        var lines = Lines(text.TrimEnd());

        var linkLine = Array.IndexOf(lines, Link.AbsoluteUri);
        Assert.True(linkLine > 0);
        Assert.Equal("Open securely:", lines[linkLine - 1]);
        Assert.Equal("Contoso disclaimer EN", lines[^1]);
        Assert.Equal("-- ", lines[^2]);
        Assert.Contains("Contoso keeps it safe.\nLine two.", text.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("https://contoso.example/privacy?lang=en&x=1", lines);
    }

    [Fact]
    public void BrandColourAndPrivacyLink_AppearInTheHtml()
    {
        var brand = BrandTestData.FullBrand(); // #0B3D2E is dark enough for white button text
        var html = Structure(ComposeAndParse(Request(brand)).Message).Html.Text;

        Assert.Contains("background-color:#0B3D2E", html, StringComparison.Ordinal);
        Assert.Contains("bgcolor=\"#0B3D2E\" style=\"border-radius:4px", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://contoso.example/privacy?lang=en&amp;x=1\"", html, StringComparison.Ordinal);
        Assert.Contains(">Privacy statement</a>", html, StringComparison.Ordinal);
        Assert.Contains("Line two", html, StringComparison.Ordinal);
        Assert.Contains("Contoso keeps it safe.<br>", html, StringComparison.Ordinal);

        // A light brand colour keeps a readable button colour instead.
        var light = Structure(ComposeAndParse(Request(brand with { BackgroundColor = "#FFF8E1" })).Message).Html.Text;
        Assert.DoesNotContain("bgcolor=\"#FFF8E1\" style=\"border-radius:4px", light, StringComparison.Ordinal);
        Assert.Contains("background-color:#FFF8E1", light, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("recipient")]
    [InlineData("sender")]
    [InlineData("from")]
    public void BadAddresses_AreRefused(string which)
    {
        foreach (var bad in new[] { "", "not an address", "bob@fabrikam.example\r\nBcc: x@y.example", "<bob@fabrikam.example>, eve@evil.example", "nobody" })
        {
            var request = which switch
            {
                "recipient" => Request() with { RecipientAddress = bad },
                "sender" => Request() with { SenderAddress = bad },
                _ => Request() with { FromAddress = bad },
            };
            Assert.ThrowsAny<ArgumentException>(() => NotificationComposer.Compose(request));
        }
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("ftp://portal.contoso.example/m/1")]
    [InlineData("https://user:pw@portal.contoso.example/m/1")]
    [InlineData("file:///etc/passwd")]
    public void BadLinks_AreRefused(string link)
    {
        Assert.Throws<ArgumentException>(() => NotificationComposer.Compose(Request(link: new Uri(link))));
    }

    [Fact]
    public void CleanDisplayName_StripsControlAndFormatCharacters()
    {
        Assert.Equal("Jan de Vries", NotificationComposer.CleanDisplayName("  Jan\tde\r\n Vries\u200B "));
        Assert.Equal("abc", NotificationComposer.CleanDisplayName("\u202Eabc\u2066"));
        Assert.Null(NotificationComposer.CleanDisplayName("\r\n\t"));
        Assert.Null(NotificationComposer.CleanDisplayName(null));
        Assert.Equal(NotificationComposer.MaxDisplayNameLength, NotificationComposer.CleanDisplayName(new string('a', 500))!.Length);
        Assert.Equal("Zoë 😀", NotificationComposer.CleanDisplayName("Zoë 😀"));
    }
}
