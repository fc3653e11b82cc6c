using System.Text;
using System.Text.RegularExpressions;

namespace OmePortal.Core.Replies;

/// <summary>
/// Makes values safe for header fields and bodies. Nothing that reaches a header of a reply may
/// carry a line break or other control character (CR/LF injection), whatever MimeKit would do with it.
/// </summary>
public static partial class HeaderText
{
    /// <summary>Longest Message-ID (without angle brackets) copied into In-Reply-To or References.</summary>
    public const int MaxMessageIdLength = 250;

    /// <summary>How many ids References keeps (the first and the most recent ones, RFC 5322 §3.6.4).</summary>
    public const int MaxReferences = 20;

    /// <summary>Longest subject kept (characters).</summary>
    public const int MaxSubjectLength = 500;

    /// <summary>
    /// One line of text: control characters (CR, LF, TAB, NEL, ...), line and paragraph separators
    /// and bidirectional overrides become spaces; runs of white space collapse; the result is trimmed.
    /// </summary>
    public static string OneLine(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return string.Empty;

        var builder = new StringBuilder(value.Length);
        var space = false;
        foreach (var c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || IsInvisibleFormat(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Body text as lines: CRLF and lone CR become LF, U+2028/U+2029 become LF, every other control
    /// character except TAB is removed.
    /// </summary>
    public static string Body(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return string.Empty;

        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\r':
                    builder.Append('\n');
                    if (i + 1 < value.Length && value[i + 1] == '\n')
                        i++;
                    break;
                case '\n' or '\u2028' or '\u2029':
                    builder.Append('\n');
                    break;
                case '\t':
                    builder.Append(c);
                    break;
                default:
                    if (!char.IsControl(c))
                        builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Whether <paramref name="id"/> (without angle brackets) can be copied into a threading header as is.</summary>
    public static bool IsSafeMessageId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxMessageIdLength)
            return false;

        foreach (var c in id)
        {
            if (c is < '!' or > '~' or '<' or '>' or '(' or ')' or ',' or ';' or '\\' or '"' or '[' or ']')
                return false;
        }

        return true;
    }

    /// <summary>The original's subject without any leading reply or forward prefixes ("Re:", "Fwd:", "AW:", "Antw:", "Doorst:", "Re[2]:" ...).</summary>
    public static string WithoutPrefixes(string? subject)
    {
        var line = OneLine(subject);
        var stripped = SubjectPrefixes().Replace(line, string.Empty);
        return stripped.Length > MaxSubjectLength ? stripped[..MaxSubjectLength] : stripped;
    }

    /// <summary>Removes directories, control and bidi-override characters from a file name; never returns an empty name.</summary>
    public static string FileName(string? name, int index)
    {
        var value = (name ?? string.Empty).Replace('\\', '/');
        var slash = value.LastIndexOf('/');
        if (slash >= 0)
            value = value[(slash + 1)..];

        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (char.IsControl(c) || IsInvisibleFormat(c))
                continue;
            builder.Append(char.IsWhiteSpace(c) ? ' ' : c);
        }

        var cleaned = builder.ToString().Trim().Trim('.').Trim();
        if (cleaned.Length > 200)
        {
            var extension = Path.GetExtension(cleaned);
            cleaned = extension.Length is > 0 and <= 16 ? cleaned[..(200 - extension.Length)] + extension : cleaned[..200];
        }

        return cleaned.Length == 0 ? $"attachment-{index + 1}" : cleaned;
    }

    // Bidirectional embeddings, overrides and isolates, zero-width characters and the BOM: they can disguise a name or an extension.
    private static bool IsInvisibleFormat(char c) =>
        c is (>= '\u200B' and <= '\u200F') or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\uFEFF';

    [GeneratedRegex(@"^(?:\s*(?:re|fw|fwd|aw|wg|antw|doorst|sv|vs|tr|rif|enc)\s*(?:\[\d{1,4}\])?\s*:)+\s*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SubjectPrefixes();
}
