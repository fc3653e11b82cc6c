using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;
using OmePortal.Core.Tests.Branding;

namespace OmePortal.Core.Tests.Notifications;

public sealed class PasscodeMailComposerTests
{
    private const string Code = "40718263";
    private const string Reference = "K7QX2M";
    private static readonly DateTimeOffset Now = new(2026, 6, 5, 16, 20, 0, TimeSpan.FromHours(2)); // 14:20 UTC
    private static readonly DateTimeOffset Expiry = Now.AddMinutes(10);                               // 14:30 UTC

    private static BrandTemplate DefaultBrand { get; } = BrandLoader.LoadDirectory(BrandTestData.DefaultBrandDirectory);

    private static PasscodeMailRequest Request(
        BrandTemplate? brand = null,
        string? language = "en",
        string code = Code,
        string reference = Reference,
        DateTimeOffset? expiresAt = null,
        string? fromName = "Contoso Secure Mail") =>
        new(
            Brand: brand ?? DefaultBrand,
            Language: language,
            RecipientAddress: "bob@fabrikam.example",
            Code: code,
            ReferenceCode: reference,
            ExpiresAt: expiresAt ?? Expiry,
            FromAddress: "notify@portal.contoso.example",
            FromName: fromName);

    /// <summary>Composes at <see cref="Now"/>, writes to bytes and parses back, so the tests see what a mail client sees.</summary>
    private static Mail ComposeAndParse(PasscodeMailRequest request, DateTimeOffset? now = null)
    {
        var composed = PasscodeMailComposer.Compose(request, now ?? Now);
        using var stream = new MemoryStream();
        composed.WriteTo(FormatOptions.Default, stream);
        var raw = Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal);
        stream.Position = 0;
        var message = MimeMessage.Load(stream);
        return new Mail(message, raw, raw[..raw.IndexOf("\n\n", StringComparison.Ordinal)], Structure(message));
    }

    private sealed record Mail(MimeMessage Message, string Raw, string HeaderBlock, Parts Parts)
    {
        public string Text => Parts.Text.Text.Replace("\r\n", "\n", StringComparison.Ordinal);

        public string Html => Parts.Html.Text;
    }

    private sealed record Parts(MultipartAlternative Alternative, TextPart Text, TextPart Html, MultipartRelated? Related, MimePart? Logo);

    private static Parts Structure(MimeMessage message)
    {
        var alternative = Assert.IsType<MultipartAlternative>(message.Body);
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
        Assert.Equal("utf-8", html.ContentType.Charset ?? "", ignoreCase: true);
        Assert.False(html.IsAttachment);
        Assert.Empty(message.Attachments);
        return new Parts(alternative, text, html, related, logo);
    }

    private static string[] Lines(string text) => text.Split('\n');

    [Fact]
    public void Compose_DefaultBrand_IsMultipartAlternativeWithLogoAsRelatedPart()
    {
        var mail = ComposeAndParse(Request());

        Assert.NotNull(mail.Parts.Related);
        Assert.NotNull(mail.Parts.Logo);
        Assert.Equal("image/png", mail.Parts.Logo.ContentType.MimeType);
        Assert.False(string.IsNullOrEmpty(mail.Parts.Logo.ContentId));
        Assert.Contains($"src=\"cid:{mail.Parts.Logo.ContentId}\"", mail.Html, StringComparison.Ordinal);
        using var decoded = new MemoryStream();
        mail.Parts.Logo.Content!.DecodeTo(decoded);
        Assert.Equal(DefaultBrand.Logo!.Content, decoded.ToArray());

        Assert.Equal("en", mail.Message.Body!.Headers[HeaderId.ContentLanguage]);
        Assert.Contains("<html lang=\"en\"", mail.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_NoLogo_HtmlIsTheSecondAlternative()
    {
        var mail = ComposeAndParse(Request(DefaultBrand with { Logo = null }));

        Assert.Null(mail.Parts.Related);
        Assert.DoesNotContain("cid:", mail.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(mail.Message.BodyParts, p => p.ContentType.MediaType == "image");
    }

    [Fact]
    public void Compose_LogoThatIsNotAnImage_IsLeftOut()
    {
        var brand = DefaultBrand with { Logo = new BrandLogo("<svg onload=alert(1)/>"u8.ToArray(), BrandLogo.Png) };
        Assert.Null(ComposeAndParse(Request(brand)).Parts.Related);
    }

    [Fact]
    public void Compose_Headers_KindAutoSubmittedFromTo_NoReplyTo()
    {
        var mail = ComposeAndParse(Request());
        var message = mail.Message;

        Assert.Equal("passcode", message.Headers[PasscodeMailComposer.KindHeader]);
        Assert.Equal("X-OmePortal-Mail-Kind", PasscodeMailComposer.KindHeader);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);
        Assert.Equal("All", message.Headers["X-Auto-Response-Suppress"]);

        var from = Assert.IsType<MailboxAddress>(Assert.Single(message.From));
        Assert.Equal("notify@portal.contoso.example", from.Address);
        Assert.Equal("Contoso Secure Mail", from.Name);
        Assert.Equal("bob@fabrikam.example", Assert.IsType<MailboxAddress>(Assert.Single(message.To)).Address);
        Assert.Empty(message.ReplyTo);
        Assert.Empty(message.Cc);
        Assert.Empty(message.Bcc);
        Assert.EndsWith("@portal.contoso.example", message.MessageId, StringComparison.Ordinal);
        Assert.Equal(Now, message.Date);
        Assert.False(message.Headers.Contains(NotificationComposer.MessageIdHeader));
    }

    [Fact]
    public void Compose_PublicOverload_UsesTheCurrentTime()
    {
        var message = PasscodeMailComposer.Compose(Request(expiresAt: DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.True(Math.Abs((message.Date - DateTimeOffset.UtcNow).TotalMinutes) < 5);
        Assert.Equal("passcode", message.Headers[PasscodeMailComposer.KindHeader]);
        Assert.Contains("expires in 10 minutes", ((TextPart)((Multipart)message.Body!)[0]).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Subject_HasTheReference_NeverTheCode()
    {
        var mail = ComposeAndParse(Request());

        Assert.Equal("Your one-time passcode (reference K7QX2M)", mail.Message.Subject);
        Assert.DoesNotContain(Code, mail.Message.Subject, StringComparison.Ordinal);

        // Nowhere in the headers (lock screens, notification banners, mail server logs), in any part.
        Assert.DoesNotContain(Code, mail.HeaderBlock, StringComparison.Ordinal);
        foreach (var entity in mail.Message.BodyParts.Append(mail.Message.Body!))
        {
            Assert.DoesNotContain(Code, entity.Headers.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Body_CodeOnItsOwnLineInText_AndProminentInHtml()
    {
        var mail = ComposeAndParse(Request());

        var lines = Lines(mail.Text);
        var codeLine = Array.IndexOf(lines, Code);
        Assert.True(codeLine > 0, "the code is not on a line of its own:\n" + mail.Text);
        Assert.Equal("", lines[codeLine - 1]);
        Assert.Equal("Your one-time passcode:", lines[codeLine - 2]);
        Assert.Single(Regex.Matches(mail.Text, Code));

        Assert.Matches($"<span style=\"[^\"]*font-size:32px[^\"]*\">{Code}</span>", mail.Html);
        Assert.Contains(">Your one-time passcode</h1>", mail.Html, StringComparison.Ordinal);
        Assert.Contains("format-detection", mail.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_ReferenceInTextAndHtml_WithTheExplanation()
    {
        var mail = ComposeAndParse(Request());
        const string explanation = "The sign-in page shows the same reference. If it shows a different one, do not use this passcode.";

        Assert.Contains("Reference: K7QX2M\n" + explanation, mail.Text, StringComparison.Ordinal);
        Assert.Contains("Reference: <strong", mail.Html, StringComparison.Ordinal);
        Assert.Contains(">K7QX2M</strong>", mail.Html, StringComparison.Ordinal);
        Assert.Contains(explanation, mail.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_ValidityIgnoreLineAndDisclaimer()
    {
        var mail = ComposeAndParse(Request());
        const string expiry = "The passcode works once and expires in 10 minutes, at 14:30 UTC.";
        const string ignore = "Did you not ask for a passcode? Then ignore this mail: without the passcode nobody can open your messages.";
        var disclaimer = DefaultBrand.Texts["en"].DisclaimerText!;

        foreach (var body in new[] { mail.Text, mail.Html })
        {
            Assert.Contains(expiry, body, StringComparison.Ordinal);
            Assert.Contains(ignore, body, StringComparison.Ordinal);
            Assert.Contains(disclaimer, body, StringComparison.Ordinal);
            Assert.Contains(DefaultBrand.Texts["en"].PortalText!, body, StringComparison.Ordinal);
        }

        var lines = Lines(mail.Text.TrimEnd());
        Assert.Equal(disclaimer, lines[^1]);
        Assert.Equal("-- ", lines[^2]);
        Assert.Contains("background-color:#FFFFFF", mail.Html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(600, "expires in 10 minutes, at 14:30 UTC.")]
    [InlineData(599, "expires in 10 minutes, at 14:30 UTC.")]
    [InlineData(90, "expires in 2 minutes, at 14:30 UTC.")]
    [InlineData(30, "expires in 1 minute, at 14:30 UTC.")]
    [InlineData(0, "works once and expires at 14:30 UTC.")]
    [InlineData(-300, "works once and expires at 14:30 UTC.")]
    public void Body_ExpiryLine_CountsTheMinutesLeft(int secondsLeft, string expected)
    {
        var mail = ComposeAndParse(Request(), now: Expiry.AddSeconds(-secondsLeft));
        Assert.Contains(expected, mail.Text, StringComparison.Ordinal);
        Assert.Contains(expected, mail.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_HasNoLinksAtAll_EvenWithAPrivacyUrl()
    {
        var brand = BrandTestData.FullBrand();
        Assert.NotNull(brand.PrivacyStatementUrl);
        var mail = ComposeAndParse(Request(brand));

        Assert.DoesNotContain("<a ", mail.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href", mail.Html, StringComparison.OrdinalIgnoreCase);
        foreach (var body in new[] { mail.Text, mail.Html })
        {
            Assert.DoesNotContain("http://", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("https://", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("www.", body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Body_BrandColourFramesTheCode_AndBrandTextsAreUsed()
    {
        var brand = BrandTestData.FullBrand(); // #0B3D2E is dark enough against white
        var mail = ComposeAndParse(Request(brand));

        Assert.Contains("background-color:#0B3D2E", mail.Html, StringComparison.Ordinal);
        Assert.Contains("border:2px solid #0B3D2E", mail.Html, StringComparison.Ordinal);
        Assert.Contains("Contoso portal", mail.Html, StringComparison.Ordinal);
        Assert.Contains("Contoso disclaimer EN", mail.Text, StringComparison.Ordinal);

        // A light brand colour keeps a readable frame colour instead.
        var light = ComposeAndParse(Request(brand with { BackgroundColor = "#FFF8E1" })).Html;
        Assert.Contains("background-color:#FFF8E1", light, StringComparison.Ordinal);
        Assert.DoesNotContain("border:2px solid #FFF8E1", light, StringComparison.Ordinal);
    }

    [Fact]
    public void Dutch_SubjectAndTexts()
    {
        var mail = ComposeAndParse(Request(language: "nl"));

        Assert.Equal("Uw eenmalige toegangscode (referentie K7QX2M)", mail.Message.Subject);
        Assert.Equal("nl", mail.Message.Body!.Headers[HeaderId.ContentLanguage]);
        Assert.Contains("<html lang=\"nl\"", mail.Html, StringComparison.Ordinal);
        Assert.Contains(Code, Lines(mail.Text));
        Assert.Contains("Uw eenmalige toegangscode:", Lines(mail.Text));

        foreach (var body in new[] { mail.Text, mail.Html })
        {
            Assert.Contains("De code werkt één keer en verloopt over 10 minuten, om 14:30 UTC.", body, StringComparison.Ordinal);
            Assert.Contains("De aanmeldpagina toont dezelfde referentie.", body, StringComparison.Ordinal);
            Assert.Contains("Heeft u geen code aangevraagd? Negeer deze e-mail dan", body, StringComparison.Ordinal);
            Assert.Contains(DefaultBrand.Texts["nl"].DisclaimerText!, body, StringComparison.Ordinal);
            Assert.Contains(DefaultBrand.Texts["nl"].PortalText!, body, StringComparison.Ordinal);
            Assert.DoesNotContain("passcode", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("expires", body, StringComparison.Ordinal);
        }

        Assert.Contains("Referentie: K7QX2M", mail.Text, StringComparison.Ordinal);
        Assert.Contains("verloopt over 1 minuut, om 14:30 UTC.", ComposeAndParse(Request(language: "nl"), Expiry.AddSeconds(-20)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Language_FallsBackToTheBrandsDefault()
    {
        var dutchBrand = DefaultBrand with { DefaultLanguage = "nl" };
        Assert.StartsWith("Uw eenmalige", PasscodeMailComposer.Compose(Request(dutchBrand, language: null)).Subject, StringComparison.Ordinal);
        Assert.StartsWith("Uw eenmalige", PasscodeMailComposer.Compose(Request(dutchBrand, language: "fr")).Subject, StringComparison.Ordinal);
        Assert.StartsWith("Uw eenmalige", PasscodeMailComposer.Compose(Request(DefaultBrand, language: "nl-BE")).Subject, StringComparison.Ordinal);
        Assert.StartsWith("Your one-time", PasscodeMailComposer.Compose(Request(DefaultBrand, language: null)).Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void HostileBrandTextsAndFromName_AreEncoded()
    {
        var brand = new BrandTemplate
        {
            Name = "Hostile",
            BackgroundColor = "#FFFFFF;background:url(https://evil.example/x)",
            PrivacyStatementUrl = "javascript:alert(1)",
            Logo = null,
            Texts = new Dictionary<string, BrandTexts>
            {
                ["en"] = new()
                {
                    PortalText = "<img src=x onerror=alert(1)>\r\nline two",
                    DisclaimerText = "<script>alert(2)</script> from {sender}\n<a href=\"https://evil.example\">click</a>\u0007",
                },
            },
        };
        const string hostileFrom = "Portal\r\nBcc: victim@evil.example\r\nX-Injected: yes";
        var mail = ComposeAndParse(Request(brand, fromName: hostileFrom));

        Assert.DoesNotContain("<script", mail.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=x", mail.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<a ", mail.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(https://evil", mail.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("javascript:", mail.Html, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', mail.Html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; line two", mail.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(2)&lt;/script&gt; from the sender<br>", mail.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;", mail.Html, StringComparison.Ordinal);
        Assert.Contains("background-color:#FFFFFF;", mail.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("{sender}", mail.Text, StringComparison.Ordinal);

        Assert.Empty(mail.Message.Bcc);
        Assert.False(mail.Message.Headers.Contains("X-Injected"));
        Assert.DoesNotMatch("(?m)^(Bcc|X-Injected):", mail.HeaderBlock);
        Assert.Equal("Portal Bcc: victim@evil.example X-Injected: yes", Assert.IsType<MailboxAddress>(Assert.Single(mail.Message.From)).Name);
    }

    [Theory]
    [InlineData("123456")]
    [InlineData("1234567")]
    [InlineData("0000000000")]
    public void Code_SixToTenDigits_AreAccepted(string code) =>
        Assert.Contains(code, Lines(ComposeAndParse(Request(code: code)).Text));

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("12345678901")]
    [InlineData("1234 5678")]
    [InlineData("1234567a")]
    [InlineData("１２３４５６７８")] // full-width digits are not ASCII digits
    [InlineData("12345678\r\nBcc: x@evil.example")]
    [InlineData("12345678\n")]
    public void Code_NotSixToTenAsciiDigits_IsRefused(string code) =>
        Assert.Throws<ArgumentException>(() => PasscodeMailComposer.Compose(Request(code: code)));

    [Theory]
    [InlineData("")]
    [InlineData("ABC\r\nBcc: victim@evil.example")]
    [InlineData("ABC 123")]
    [InlineData("<b>X</b>")]
    [InlineData("ABCDEFGHJKLMNPQRS")] // 17
    [InlineData("K7QX2M\n")]
    public void Reference_Malformed_IsRefused(string reference) =>
        Assert.Throws<ArgumentException>(() => PasscodeMailComposer.Compose(Request(reference: reference)));

    [Theory]
    [InlineData("")]
    [InlineData("not an address")]
    [InlineData("bob@fabrikam.example\r\nBcc: victim@evil.example")]
    public void RecipientAddress_Malformed_IsRefused(string address) =>
        Assert.Throws<ArgumentException>(() => PasscodeMailComposer.Compose(Request() with { RecipientAddress = address }));
}
