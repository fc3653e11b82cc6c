using System.Globalization;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Core.Notifications;
using OmePortal.Core.Tests.Branding;

namespace OmePortal.Core.Tests.Notifications;

/// <summary>The one shell both branded mails are built in: same page frame, logo part, colours and footer.</summary>
public sealed class BrandedMailLayoutTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 5, 14, 20, 0, TimeSpan.Zero);
    private static readonly HtmlParser Parser = new();

    private static MimeMessage Notification(BrandTemplate brand, string? language = "en") =>
        RoundTrip(NotificationComposer.Compose(new NotificationRequest(
            brand, language, "bob@fabrikam.example", "alice@contoso.example", "Alice Example",
            new Uri("https://portal.contoso.example/m/abc"), Now.AddDays(30), "notify@portal.contoso.example", "Contoso Secure Mail", Guid.NewGuid())));

    private static MimeMessage Passcode(BrandTemplate brand, string? language = "en") =>
        RoundTrip(PasscodeMailComposer.Compose(
            new PasscodeMailRequest(brand, language, "bob@fabrikam.example", "12345678", "K7Q2MX", Now.AddMinutes(10), "notify@portal.contoso.example", "Contoso Secure Mail"),
            Now));

    private static MimeMessage RoundTrip(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        stream.Position = 0;
        return MimeMessage.Load(stream);
    }

    /// <summary>The parts of the page every branded mail shares, as a mail client would lay them out.</summary>
    private sealed record Shell(string BodyStyle, string OuterBackground, string CardStyle, string? LogoSrc, string? LogoSize, IElement? Footer);

    private static Shell ShellOf(string html)
    {
        var document = Parser.ParseDocument(html);
        var outer = document.Body!.Children.Single();
        Assert.Equal("TABLE", outer.TagName);
        var tables = outer.QuerySelector("td")!.Children.Where(c => c.TagName == "TABLE").ToList();
        var card = tables[0];
        var logo = card.QuerySelector("img");
        var footer = document.QuerySelector("td[data-mail-footer]");
        if (footer is not null)
        {
            // The footer sits outside the white card, on the brand background.
            Assert.False(card.Contains(footer));
            Assert.Equal(outer.QuerySelector("td"), footer.Closest("table")!.ParentElement);
        }

        return new Shell(
            document.Body.GetAttribute("style")!,
            outer.GetAttribute("bgcolor")!,
            card.GetAttribute("style")!,
            logo?.GetAttribute("src"),
            logo is null ? null : $"{logo.GetAttribute("width")}x{logo.GetAttribute("height")}",
            footer);
    }

    private static string Style(IElement element, string property) =>
        element.GetAttribute("style")!.Split(';').Select(p => p.Split(':', 2)).Single(p => p[0].Trim() == property)[1].Trim();

    [Fact]
    public void BothMails_HaveTheSameShell_LogoAsRelatedPart_AndTheBrandColours()
    {
        var brand = BrandTestData.FullBrand(); // dark green #0B3D2E, PNG logo 120x30
        var notification = Notification(brand);
        var passcode = Passcode(brand);

        var shells = new[] { notification, passcode }.Select(mail =>
        {
            // multipart/alternative { text/plain, multipart/related { text/html, image/png } } in both.
            var alternative = mail.Body as MultipartAlternative ?? Assert.IsType<MultipartAlternative>(((Multipart)mail.Body!)[0]);
            Assert.IsType<TextPart>(alternative[0]);
            var related = Assert.IsType<MultipartRelated>(alternative[1]);
            var html = Assert.IsType<TextPart>(related.Root);
            var logo = Assert.IsType<MimePart>(related[1]);
            Assert.Equal("image/png", logo.ContentType.MimeType);
            Assert.Equal(ContentDisposition.Inline, logo.ContentDisposition!.Disposition);

            var shell = ShellOf(html.Text);
            Assert.Equal("cid:" + logo.ContentId, shell.LogoSrc);
            Assert.Equal("Auto-generated", mail.Headers["Auto-Submitted"], ignoreCase: true);
            Assert.Equal("notify@portal.contoso.example", mail.From.Mailboxes.Single().Address);
            return shell;
        }).ToList();

        Assert.Equal(shells[0].BodyStyle, shells[1].BodyStyle);
        Assert.Contains("background-color:#0B3D2E", shells[0].BodyStyle, StringComparison.Ordinal);
        Assert.Equal("#0B3D2E", shells[0].OuterBackground);
        Assert.Equal(shells[0].OuterBackground, shells[1].OuterBackground);
        Assert.Equal(shells[0].CardStyle, shells[1].CardStyle);
        Assert.Equal("120x30", shells[0].LogoSize);
        Assert.Equal(shells[0].LogoSize, shells[1].LogoSize);

        // Both footers sit on the dark brand colour in the same, computed, light text colour.
        Assert.NotNull(shells[0].Footer);
        Assert.NotNull(shells[1].Footer);
        Assert.Equal("#FFFFFF", Style(shells[0].Footer!, "color"));
        Assert.Equal(Style(shells[0].Footer!, "color"), Style(shells[1].Footer!, "color"));
        Assert.Contains("Contoso disclaimer EN", shells[0].Footer!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Contoso disclaimer EN", shells[1].Footer!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void NoLogo_BothMailsHaveNoRelatedPartAndNoImage()
    {
        var brand = BrandTestData.FullBrand() with { Logo = null };
        foreach (var mail in new[] { Notification(brand), Passcode(brand) })
        {
            var alternative = mail.Body as MultipartAlternative ?? Assert.IsType<MultipartAlternative>(((Multipart)mail.Body!)[0]);
            var html = Assert.IsType<TextPart>(alternative[1]);
            Assert.Null(ShellOf(html.Text).LogoSrc);
        }
    }

    [Theory]
    [InlineData("#0B3D2E", "#FFFFFF")] // dark green: light text
    [InlineData("#000000", "#FFFFFF")]
    [InlineData("#FFFFFF", "#111827")] // white: dark text
    [InlineData("#FFF8E1", "#111827")] // cream: dark text
    [InlineData("#FFD400", "#111827")] // bright yellow: dark text
    [InlineData("#0F6CBD", "#FFFFFF")] // mid blue: light text
    public void FooterTextColour_IsLightOnDarkBrandsAndDarkOnLightOnes(string background, string expected)
    {
        Assert.Equal(expected, BrandedMailLayout.ReadableTextOn(background));

        var footer = ShellOf(Notification(BrandTestData.FullBrand() with { BackgroundColor = background, Logo = null }).HtmlBody!).Footer;
        Assert.NotNull(footer);
        Assert.Equal(expected, Style(footer!, "color"));
        var link = footer!.QuerySelector("a")!;
        Assert.Equal(expected, Style(link, "color"));
        Assert.Equal("underline", Style(link, "text-decoration"));
    }

    [Fact]
    public void FooterTextColour_ReachesAaOnEveryBrandColour()
    {
        // Every colour on a 4-bit-per-channel grid, the worst mid greys included.
        for (var r = 0; r < 256; r += 17)
        {
            for (var g = 0; g < 256; g += 17)
            {
                for (var b = 0; b < 256; b += 17)
                {
                    var background = string.Create(CultureInfo.InvariantCulture, $"#{r:X2}{g:X2}{b:X2}");
                    var text = BrandedMailLayout.ReadableTextOn(background);
                    Assert.True(BrandedMailLayout.ContrastRatio(text, background) >= 4.5, $"{text} on {background}");
                }
            }
        }
    }

    [Theory]
    [InlineData("#FFFFFF", "#000000", 21.0)]
    [InlineData("#000000", "#000000", 1.0)]
    [InlineData("#767676", "#FFFFFF", 4.54)] // the lightest grey that passes AA on white
    public void ContrastRatio_FollowsWcag(string a, string b, double expected) =>
        Assert.Equal(expected, BrandedMailLayout.ContrastRatio(a, b), 2);

    [Fact]
    public void Accent_IsTheBrandColourOnlyWhenWhiteTextOnItIsReadable()
    {
        var dark = Passcode(BrandTestData.FullBrand() with { BackgroundColor = "#0B3D2E" }).HtmlBody;
        Assert.Contains("border:2px solid #0B3D2E", dark, StringComparison.Ordinal);

        var light = Passcode(BrandTestData.FullBrand() with { BackgroundColor = "#FFD400" }).HtmlBody;
        Assert.Contains("border:2px solid " + BrandedMailLayout.FallbackAccentColor, light, StringComparison.Ordinal);
        Assert.True(BrandedMailLayout.ContrastRatio("#FFFFFF", BrandedMailLayout.FallbackAccentColor) >= 4.5);
    }

    [Fact]
    public void Text_PutsTheFooterAfterTheSignatureSeparator_AndSkipsBlankBlocks()
    {
        var text = BrandedMailLayout.Text(["one", " ", null, "two"], ["small print", ""]);
        Assert.Equal("one\n\ntwo\n\n-- \nsmall print\n", text);
        Assert.Equal("one\n", BrandedMailLayout.Text(["one"], [null]));
    }
}
