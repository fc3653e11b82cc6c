using System.Text.RegularExpressions;
using AngleSharp;
using AngleSharp.Css;
using AngleSharp.Css.Dom;
using AngleSharp.Css.Parser;

namespace OmePortal.Core.Mime;

/// <summary>
/// Checks a style sheet that HtmlSanitizer has already cleaned, once more, on the text a browser
/// will actually read.
/// </summary>
/// <remarks>
/// HtmlSanitizer judges a style rule declaration by declaration as AngleSharp enumerates them,
/// but some shorthands (<c>border-image: url(…) 30</c> in a &lt;style&gt; element) are not
/// enumerated and reach the output with their <c>url()</c> intact: a remote fetch from the body
/// frame. So the sheet is parsed again, every rule's serialised declaration block is matched
/// against the same forbidden-value pattern, offending declarations are removed, and a rule whose
/// block still matches is removed whole. Only style rules and @media survive.
/// </remarks>
internal static class StyleSheetSecondOpinion
{
    private static readonly CssParser Parser = new();

    public static string Filter(string css, Regex forbidden)
    {
        if (string.IsNullOrWhiteSpace(css))
            return css;

        var sheet = Parser.ParseStyleSheet(css);
        FilterRules(sheet.Rules, sheet.RemoveAt, forbidden);

        // As HtmlSanitizer does: a '<' never reaches the markup, whatever the CSS parser kept.
        return sheet.ToCss().Replace("<", "\\3c ", StringComparison.Ordinal);
    }

    private static void FilterRules(ICssRuleList rules, Action<int> removeAt, Regex forbidden)
    {
        for (var i = rules.Length - 1; i >= 0; i--)
        {
            var keep = rules[i] switch
            {
                ICssStyleRule style => FilterDeclarations(style.Style, forbidden),
                ICssMediaRule media => FilterMedia(media, forbidden),
                _ => false,
            };
            if (!keep)
                removeAt(i);
        }
    }

    private static bool FilterMedia(ICssMediaRule media, Regex forbidden)
    {
        FilterRules(media.Rules, media.RemoveAt, forbidden);
        return !forbidden.IsMatch(media.ConditionText ?? string.Empty);
    }

    /// <returns>False when the block still says something forbidden after its bad declarations went.</returns>
    private static bool FilterDeclarations(ICssStyleDeclaration declarations, Regex forbidden)
    {
        if (!forbidden.IsMatch(declarations.CssText))
            return true;

        foreach (var property in declarations.ToList())
        {
            // An emptied longhand is what is left of a shorthand whose url() went: no use keeping it.
            if (forbidden.IsMatch(property.Value ?? string.Empty) || string.IsNullOrWhiteSpace(property.Value))
                declarations.RemoveProperty(property.Name);
        }

        return !forbidden.IsMatch(declarations.CssText);
    }
}
