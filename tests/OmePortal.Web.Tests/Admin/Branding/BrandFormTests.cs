using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Localization;
using OmePortal.Core.Branding;
using OmePortal.Web.Admin.Branding;

namespace OmePortal.Web.Tests.Admin.Branding;

public sealed class BrandFormTests
{
    private static BrandFormInput ValidInput() => BrandFormInput.From(new BrandTemplate
    {
        Name = "Legal",
        Texts = new Dictionary<string, BrandTexts> { ["en"] = new() { PortalText = "Portal" } },
    });

    private static ModelStateDictionary Validate(BrandFormInput input)
    {
        var state = new ModelStateDictionary();
        input.AddErrors(state, BrandValidator.Validate(input.ToBrand()), new KeyLocalizer());
        return state;
    }

    [Fact]
    public void ToBrand_BlankTexts_LeftOutSoTheyFallBack()
    {
        var input = ValidInput();
        input.Texts[1].PortalText = "   ";
        var brand = input.ToBrand();
        Assert.False(brand.Texts.ContainsKey("nl"));
        Assert.Equal("Portal", brand.TextsFor("nl").PortalText);
    }

    [Fact]
    public void ToBrand_ColourLowerCase_StoredUpperCase()
    {
        var input = ValidInput();
        input.BackgroundColor = " #0f6cbd ";
        Assert.Equal("#0F6CBD", input.ToBrand().BackgroundColor);
    }

    [Theory]
    [InlineData("http://contoso.test/privacy")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://user:secret@contoso.test/privacy")]
    [InlineData("/privacy")]
    public void Validate_PrivacyUrlNotPlainHttps_ErrorNextToTheField(string url)
    {
        var input = ValidInput();
        input.PrivacyStatementUrl = url;
        var state = Validate(input);
        Assert.Equal("Error_Url", Assert.Single(state["Input.PrivacyStatementUrl"]!.Errors).ErrorMessage);
    }

    [Fact]
    public void Validate_HttpsPrivacyUrl_Accepted()
    {
        var input = ValidInput();
        input.PrivacyStatementUrl = "https://contoso.test/privacy";
        Assert.True(Validate(input).IsValid);
    }

    [Fact]
    public void Validate_TextLimits_ErrorsNextToTheLanguagesFields()
    {
        var input = ValidInput();
        input.Texts[1].PortalText = new string('p', BrandLimits.MaxPortalTextLength + 1);
        input.Texts[0].DisclaimerText = new string('d', BrandLimits.MaxTextLength + 1);
        input.Texts[0].EmailText = new string('e', BrandLimits.MaxTextLength);
        var state = Validate(input);
        Assert.Equal($"Error_TextTooLong {BrandLimits.MaxPortalTextLength} {BrandLimits.MaxPortalTextLength + 1}", Assert.Single(state["Input.Texts[1].PortalText"]!.Errors).ErrorMessage);
        Assert.Equal($"Error_TextTooLong {BrandLimits.MaxTextLength} {BrandLimits.MaxTextLength + 1}", Assert.Single(state["Input.Texts[0].DisclaimerText"]!.Errors).ErrorMessage);
        Assert.Null(state["Input.Texts[0].EmailText"]);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(730, true)]
    [InlineData(731, false)]
    public void Validate_ExpiryDays_ZeroTo730(int days, bool valid)
    {
        var input = ValidInput();
        input.ExpiryDays = days;
        Assert.Equal(valid, Validate(input).IsValid);
    }

    [Fact]
    public void Validate_PortalTextWithLineBreak_Invalid()
    {
        var input = ValidInput();
        input.Texts[0].PortalText = "two\nlines";
        Assert.Equal("Error_TextInvalid", Assert.Single(Validate(input)["Input.Texts[0].PortalText"]!.Errors).ErrorMessage);
    }

    [Theory]
    [InlineData("#12345")]
    [InlineData("red")]
    [InlineData("#1234567")]
    public void Validate_ColourNotRrggbb_Invalid(string colour)
    {
        var input = ValidInput();
        input.BackgroundColor = colour;
        Assert.Equal("Error_Color", Assert.Single(Validate(input)["Input.BackgroundColor"]!.Errors).ErrorMessage);
    }

    /// <summary>Answers the key and its arguments, so the tests see which message was chosen.</summary>
    private sealed class KeyLocalizer : IStringLocalizer<BrandingResource>
    {
        public LocalizedString this[string name] => new(name, name);

        public LocalizedString this[string name, params object[] arguments] =>
            new(name, string.Join(' ', new[] { name }.Concat(arguments.Select(a => Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!))));

        public IEnumerable<LocalizedString> GetAllStrings(bool includeParentCultures) => [];
    }
}
