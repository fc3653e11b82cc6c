using System.Globalization;

namespace OmePortal.Core.Mime;

/// <summary>
/// Normalises and checks email addresses so that the same mailbox always compares equal
/// (header vs. SMTP envelope vs. the address a recipient signs in with).
/// </summary>
public static class AddressNormalizer
{
    private const int MaxAddressLength = 254;
    private const int MaxLocalPartLength = 64;
    private const int MaxDomainLength = 253;
    private const int MaxLabelLength = 63;

    private static readonly IdnMapping Idn = new();

    /// <summary>
    /// Trims white space and one pair of surrounding angle brackets, lower-cases the address
    /// (invariant culture), and turns an IDNA ("xn--") domain into its Unicode form. A trailing
    /// dot on the domain is removed. Does not validate: see <see cref="IsValid"/>.
    /// </summary>
    public static string Normalize(string address)
    {
        ArgumentNullException.ThrowIfNull(address);

        var value = address.Trim();
        if (value.Length >= 2 && value[0] == '<' && value[^1] == '>')
            value = value[1..^1].Trim();

        var at = value.LastIndexOf('@');
        if (at <= 0 || at == value.Length - 1)
            return value.ToLowerInvariant();

        var local = value[..at];
        var domain = value[(at + 1)..].TrimEnd('.');

        if (domain.Contains("xn--", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                domain = Idn.GetUnicode(domain);
            }
            catch (ArgumentException)
            {
                // Not valid IDNA: keep it as written; IsValid decides whether it is usable.
            }
        }

        return (local + "@" + domain).ToLowerInvariant();
    }

    /// <summary>
    /// Whether <paramref name="address"/>, once normalised, is a usable mailbox address:
    /// <c>local@domain</c> with a dot-atom or quoted local part (UTF-8 allowed) and a host name
    /// of at least two labels. Domain literals (<c>user@[192.0.2.1]</c>) are not accepted.
    /// </summary>
    public static bool IsValid(string? address)
    {
        if (string.IsNullOrWhiteSpace(address))
            return false;

        var value = Normalize(address);
        if (value.Length > MaxAddressLength)
            return false;

        var at = value.LastIndexOf('@');
        if (at <= 0 || at == value.Length - 1)
            return false;

        return IsValidLocalPart(value.AsSpan(0, at)) && IsValidDomain(value[(at + 1)..]);
    }

    private static bool IsValidLocalPart(ReadOnlySpan<char> local)
    {
        if (local.Length > MaxLocalPartLength)
            return false;

        if (local.Length >= 2 && local[0] == '"' && local[^1] == '"')
        {
            var inner = local[1..^1];
            if (inner.Length == 0)
                return false;

            for (var i = 0; i < inner.Length; i++)
            {
                var c = inner[i];
                if (char.IsControl(c))
                    return false;
                if (c == '\\')
                {
                    i++;
                    if (i >= inner.Length || char.IsControl(inner[i]))
                        return false;
                }
                else if (c == '"')
                {
                    return false;
                }
            }

            return true;
        }

        if (local[0] == '.' || local[^1] == '.')
            return false;

        for (var i = 0; i < local.Length; i++)
        {
            var c = local[i];
            if (c == '.')
            {
                if (local[i - 1] == '.')
                    return false;
                continue;
            }

            if (!IsAtext(c))
                return false;
        }

        return true;
    }

    private static bool IsAtext(char c)
    {
        if (c >= 0x80)
            return !char.IsControl(c) && !char.IsWhiteSpace(c);

        return char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c);
    }

    private static bool IsValidDomain(string domain)
    {
        if (domain.Length == 0 || domain.Length > MaxDomainLength || domain[0] == '[')
            return false;

        var labels = domain.Split('.');
        if (labels.Length < 2)
            return false;

        foreach (var label in labels)
        {
            if (label.Length == 0 || label.Length > MaxLabelLength || label[0] == '-' || label[^1] == '-')
                return false;

            foreach (var c in label)
            {
                if (c == '-' || char.IsAsciiLetterOrDigit(c))
                    continue;
                var isMark = char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
                if (c < 0x80 || !(char.IsLetterOrDigit(c) || isMark))
                    return false;
            }
        }

        var tld = labels[^1];
        if (tld.All(char.IsAsciiDigit))
            return false;

        try
        {
            return Idn.GetAscii(domain).Length <= MaxDomainLength;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
