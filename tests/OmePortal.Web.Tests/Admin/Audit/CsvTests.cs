using OmePortal.Web.Admin.Audit;

namespace OmePortal.Web.Tests.Admin.Audit;

public sealed class CsvTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    [InlineData(null, "")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("line\nfeed", "\"line\nfeed\"")]
    public void Field_Rfc4180_QuotesOnlyWhenNeededAndDoublesQuotes(string? value, string expected) =>
        Assert.Equal(expected, Csv.Field(value));

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\")", "\"'=HYPERLINK(\"\"http://evil.example\"\")\"")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A2)", "'@SUM(A1:A2)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("=1,2", "\"'=1,2\"")]
    [InlineData("a=1", "a=1")]
    [InlineData("bob@example.nl", "bob@example.nl")]
    public void Field_FormulaTrigger_IsPrefixedWithAnApostrophe(string value, string expected) =>
        Assert.Equal(expected, Csv.Field(value));

    [Fact]
    public void Row_JoinsWithCommasAndEndsWithCrLf() =>
        Assert.Equal("1,\"x,y\",,'=z\r\n", Csv.Row("1", "x,y", null, "=z"));
}
