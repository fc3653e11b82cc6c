using OmePortal.Core.Rules;

namespace OmePortal.Core.Tests.Rules;

public sealed class SensitiveInformationTests
{
    [Theory]
    [InlineData("4111111111111111")] // Visa
    [InlineData("4111 1111 1111 1111")]
    [InlineData("4111-1111-1111-1111")]
    [InlineData("5555555555554444")] // Mastercard
    [InlineData("378282246310005")] // American Express, 15 digits
    [InlineData("6011111111111117")] // Discover
    [InlineData("3530111333300000")] // JCB
    [InlineData("30569309025904")] // Diners Club, 14 digits
    [InlineData("4222222222222")] // Visa, 13 digits
    [InlineData("card: 4111111111111111.")]
    [InlineData("(4111111111111111)")]
    public void PaymentCard_ValidNumber_IsCounted(string text) =>
        Assert.Equal(1, PaymentCardDetector.Count(text));

    [Theory]
    [InlineData("4111111111111112")] // one digit off: Luhn fails
    [InlineData("411111111111111")] // one digit short
    [InlineData("411111111111")] // 12 digits
    [InlineData("12344111111111111111156789")] // inside a longer number
    [InlineData("A4111111111111111")] // glued to a word
    [InlineData("4111111111111111B")]
    [InlineData("4111  1111 1111 1111")] // two separators in a row break the number
    [InlineData("4111_1111_1111_1111")] // not a separator
    [InlineData("9111111111111110")] // Luhn-valid, no known issuer
    [InlineData("")]
    public void PaymentCard_NearMiss_IsNotCounted(string text) =>
        Assert.Equal(0, PaymentCardDetector.Count(text));

    [Fact]
    public void PaymentCard_UnknownIssuerAllowed_IsCounted() =>
        Assert.Equal(1, PaymentCardDetector.Count("9111111111111110", requireKnownIssuer: false));

    [Fact]
    public void PaymentCard_SameNumberTwiceAndAnother_CountsDistinct() =>
        Assert.Equal(2, PaymentCardDetector.Count("4111111111111111, again 4111-1111-1111-1111 and 5555 5555 5555 4444"));

    [Theory]
    [InlineData("NL91ABNA0417164300")]
    [InlineData("NL91 ABNA 0417 1643 00")]
    [InlineData("iban: NL91 ABNA 0417 1643 00, thanks")]
    [InlineData("DE89370400440532013000")]
    [InlineData("GB82 WEST 1234 5698 7654 32")]
    [InlineData("BE68539007547034")]
    [InlineData("FR1420041010050500013M02606")]
    [InlineData("NO9386011117947")] // shortest
    [InlineData("NL91abna0417164300")] // bank code in lower case
    public void Iban_Valid_IsCounted(string text) =>
        Assert.Equal(1, IbanDetector.Count(text));

    [Theory]
    [InlineData("NL91ABNA0417164301")] // one digit off: mod 97 fails
    [InlineData("NL92ABNA0417164300")] // wrong check digits
    [InlineData("NL91ABNA041716430")] // one character short
    [InlineData("NL91ABNA04171643001")] // one character too many
    [InlineData("XNL91ABNA0417164300")] // glued to a word
    [InlineData("XX91ABNA0417164300")] // unknown country
    [InlineData("nl91abna0417164300")] // a country code is upper case
    [InlineData("DE89 3704 0044 0532 0130 00X")]
    public void Iban_NearMiss_IsNotCounted(string text) =>
        Assert.Equal(0, IbanDetector.Count(text));

    [Fact]
    public void Iban_TwoDifferent_CountsTwo() =>
        Assert.Equal(2, IbanDetector.Count("From NL91ABNA0417164300 to DE89 3704 0044 0532 0130 00 and back to NL91 ABNA 0417 1643 00."));

    [Theory]
    [InlineData("111222333")]
    [InlineData("123456782")]
    [InlineData("BSN: 123456782.")]
    [InlineData("bsn 1234.56.782")]
    public void Bsn_Valid_IsCounted(string text) =>
        Assert.Equal(1, BsnDetector.Count(text));

    [Theory]
    [InlineData("123456781")] // one digit off: 11-test fails
    [InlineData("12345678")] // too short
    [InlineData("1234567820")] // too long
    [InlineData("0123456782")] // inside a longer number
    [InlineData("000000000")] // all zeros pass the sum but are no BSN
    [InlineData("X123456782")]
    [InlineData("123456782X")]
    [InlineData("1.123456782")] // part of a decimal number
    [InlineData("06-123456782")] // part of a joined number
    [InlineData("1234.56.781")]
    public void Bsn_NearMiss_IsNotCounted(string text) =>
        Assert.Equal(0, BsnDetector.Count(text));

    [Fact]
    public void Bsn_InsideCardNumber_IsNotCounted() =>
        Assert.Equal(0, BsnDetector.Count("4111111111111111"));

    [Fact]
    public void Count_ByKind_UsesTheRightDetector()
    {
        const string text = "Card 4111111111111111, IBAN NL91ABNA0417164300, BSN 111222333 and 123456782.";
        Assert.Equal(1, SensitiveInformation.Count(SensitiveInformationKind.PaymentCard, text));
        Assert.Equal(1, SensitiveInformation.Count(SensitiveInformationKind.Iban, text));
        Assert.Equal(2, SensitiveInformation.Count(SensitiveInformationKind.DutchBsn, text));
    }
}
