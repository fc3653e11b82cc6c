using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace OmePortal.Core.Replies;

/// <summary>Turns (already sanitised) body HTML into plain text for quoting: block elements become line breaks.</summary>
public static class HtmlText
{
    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr", "section", "article", "header", "footer",
    };

    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase) { "style", "script", "head", "title", "template" };

    public static string ToPlainText(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var parser = new HtmlParser(new HtmlParserOptions { IsScripting = false });
        using var document = parser.ParseDocument(html);
        var builder = new StringBuilder(html.Length / 2);
        Walk(document.Body ?? (INode)document, builder, depth: 0);
        var lines = builder.ToString().Split('\n').Select(l => l.TrimEnd());
        var text = string.Join('\n', lines);
        while (text.Contains("\n\n\n", StringComparison.Ordinal))
            text = text.Replace("\n\n\n", "\n\n", StringComparison.Ordinal);
        return text.Trim('\n');
    }

    private static void Walk(INode node, StringBuilder builder, int depth)
    {
        if (depth > 256)
            return;

        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText text:
                    AppendCollapsed(builder, text.Data);
                    break;
                case IElement element when Skipped.Contains(element.LocalName):
                    break;
                case IElement element when element.LocalName == "br":
                    builder.Append('\n');
                    break;
                case IElement element:
                    var block = Blocks.Contains(element.LocalName);
                    if (block)
                        builder.Append('\n');
                    if (element.LocalName.Equals("li", StringComparison.OrdinalIgnoreCase))
                        builder.Append("- ");
                    Walk(element, builder, depth + 1);
                    if (block)
                        builder.Append('\n');
                    else if (element.LocalName is "td" or "th")
                        builder.Append('\t');
                    break;
            }
        }
    }

    private static void AppendCollapsed(StringBuilder builder, string data)
    {
        foreach (var c in data)
        {
            if (char.IsWhiteSpace(c))
            {
                if (builder.Length > 0 && builder[^1] is not (' ' or '\n'))
                    builder.Append(' ');
            }
            else
            {
                builder.Append(c);
            }
        }
    }
}
