namespace OmePortal.Core.Rules;

/// <summary>The kinds of sensitive information a rule can look for (stored by name in rule JSON).</summary>
public enum SensitiveInformationKind
{
    /// <summary>Payment card numbers: 13–19 digits, optional space or dash separators, Luhn check, known issuer prefix.</summary>
    PaymentCard,

    /// <summary>International bank account numbers: country length table and the ISO 7064 mod 97-10 check.</summary>
    Iban,

    /// <summary>Dutch citizen service number (burgerservicenummer): 9 digits passing the 11-test.</summary>
    DutchBsn,
}

/// <summary>
/// Counts sensitive values in text. Each detector counts <b>distinct</b> values (the same card number
/// quoted five times is one card), and only values that stand alone: digits that are part of a longer
/// number or word never count. The values themselves are never returned, so a rule's explanation
/// cannot leak them.
/// </summary>
public static class SensitiveInformation
{
    public static int Count(SensitiveInformationKind kind, string text) => kind switch
    {
        SensitiveInformationKind.PaymentCard => PaymentCardDetector.Count(text),
        SensitiveInformationKind.Iban => IbanDetector.Count(text),
        SensitiveInformationKind.DutchBsn => BsnDetector.Count(text),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    internal static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';

    internal static bool IsWordChar(char c) => char.IsLetterOrDigit(c);
}

/// <summary>Payment card numbers (PCI DSS primary account numbers).</summary>
public static class PaymentCardDetector
{
    public const int MinDigits = 13;
    public const int MaxDigits = 19;

    /// <param name="requireKnownIssuer">Count only numbers whose issuer identification number (IIN)
    /// belongs to a major scheme; false accepts any Luhn-valid number of the right length.</param>
    public static int Count(string text, bool requireKnownIssuer = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new HashSet<string>(StringComparer.Ordinal);
        Span<char> digits = stackalloc char[MaxDigits + 1];
        var i = 0;
        while (i < text.Length)
        {
            if (!SensitiveInformation.IsAsciiDigit(text[i]) || (i > 0 && SensitiveInformation.IsWordChar(text[i - 1])))
            {
                i++;
                continue;
            }

            // A run of digits with single separators between them; a separator must be followed by a digit.
            var count = 0;
            var j = i;
            var tooLong = false;
            while (j < text.Length)
            {
                var c = text[j];
                if (SensitiveInformation.IsAsciiDigit(c))
                {
                    if (count <= MaxDigits)
                    {
                        digits[count] = c;
                    }

                    count++;
                    tooLong |= count > MaxDigits;
                    j++;
                }
                else if ((c is ' ' or '-') && j + 1 < text.Length && SensitiveInformation.IsAsciiDigit(text[j + 1]))
                {
                    j++;
                }
                else
                {
                    break;
                }
            }

            var standsAlone = j >= text.Length || !SensitiveInformation.IsWordChar(text[j]);
            if (!tooLong && standsAlone && count >= MinDigits)
            {
                var number = digits[..count];
                if (PassesLuhn(number) && (!requireKnownIssuer || HasKnownIssuer(number)))
                {
                    found.Add(new string(number));
                }
            }

            i = j;
        }

        return found.Count;
    }

    public static bool PassesLuhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var k = digits.Length - 1; k >= 0; k--)
        {
            var d = digits[k] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }

    /// <summary>Visa, Mastercard, American Express, Discover, JCB, Diners Club, UnionPay and Maestro ranges.</summary>
    public static bool HasKnownIssuer(ReadOnlySpan<char> digits)
    {
        if (digits.Length < 6)
        {
            return false;
        }

        var p2 = Prefix(digits, 2);
        var p3 = Prefix(digits, 3);
        var p4 = Prefix(digits, 4);
        return digits[0] == '4' // Visa
            || p2 is >= 51 and <= 55 || p4 is >= 2221 and <= 2720 // Mastercard
            || p2 is 34 or 37 // American Express
            || p4 == 6011 || p2 == 65 || p3 is >= 644 and <= 649 // Discover
            || p4 is >= 3528 and <= 3589 // JCB
            || p2 is 36 or 38 or 39 || p3 is >= 300 and <= 305 // Diners Club
            || p2 == 62 // UnionPay
            || p2 is 50 or (>= 56 and <= 69); // Maestro
    }

    private static int Prefix(ReadOnlySpan<char> digits, int length) =>
        int.Parse(digits[..length], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>IBANs, printed compact (NL91ABNA0417164300) or in groups (NL91 ABNA 0417 1643 00).</summary>
public static class IbanDetector
{
    /// <summary>IBAN length per country (SWIFT IBAN registry).</summary>
    public static readonly IReadOnlyDictionary<string, int> Lengths = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["AD"] = 24, ["AE"] = 23, ["AL"] = 28, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22,
        ["BH"] = 22, ["BI"] = 27, ["BR"] = 29, ["BY"] = 28, ["CH"] = 21, ["CR"] = 22, ["CY"] = 28, ["CZ"] = 24,
        ["DE"] = 22, ["DJ"] = 27, ["DK"] = 18, ["DO"] = 28, ["EE"] = 20, ["EG"] = 29, ["ES"] = 24, ["FI"] = 18,
        ["FK"] = 18, ["FO"] = 18, ["FR"] = 27, ["GB"] = 22, ["GE"] = 22, ["GI"] = 23, ["GL"] = 18, ["GR"] = 27,
        ["GT"] = 28, ["HR"] = 21, ["HU"] = 28, ["IE"] = 22, ["IL"] = 23, ["IQ"] = 23, ["IS"] = 26, ["IT"] = 27,
        ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20, ["LB"] = 28, ["LC"] = 32, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20,
        ["LV"] = 21, ["LY"] = 25, ["MC"] = 27, ["MD"] = 24, ["ME"] = 22, ["MK"] = 19, ["MN"] = 20, ["MR"] = 27,
        ["MT"] = 31, ["MU"] = 30, ["NI"] = 28, ["NL"] = 18, ["NO"] = 15, ["OM"] = 23, ["PK"] = 24, ["PL"] = 28,
        ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22, ["RU"] = 33, ["SA"] = 24, ["SC"] = 31,
        ["SD"] = 18, ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["SO"] = 23, ["ST"] = 25, ["SV"] = 28,
        ["TL"] = 23, ["TN"] = 24, ["TR"] = 26, ["UA"] = 29, ["VA"] = 22, ["VG"] = 24, ["XK"] = 20, ["YE"] = 30,
    };

    private const int MaxLength = 34;

    public static int Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new HashSet<string>(StringComparer.Ordinal);
        Span<char> iban = stackalloc char[MaxLength];
        for (var i = 0; i + 4 <= text.Length; i++)
        {
            if (!IsUpperAscii(text[i]) || !IsUpperAscii(text[i + 1]) || (i > 0 && SensitiveInformation.IsWordChar(text[i - 1])))
            {
                continue;
            }

            if (!Lengths.TryGetValue(text.Substring(i, 2), out var length)
                || !SensitiveInformation.IsAsciiDigit(text[i + 2]) || !SensitiveInformation.IsAsciiDigit(text[i + 3]))
            {
                continue;
            }

            // Take exactly the country's number of characters, allowing single spaces between them.
            var count = 0;
            var j = i;
            while (count < length && j < text.Length)
            {
                var c = char.ToUpperInvariant(text[j]);
                if (IsUpperAscii(c) || SensitiveInformation.IsAsciiDigit(c))
                {
                    iban[count++] = c;
                    j++;
                }
                else if (c == ' ' && count >= 4 && j + 1 < text.Length && char.IsAsciiLetterOrDigit(text[j + 1]))
                {
                    j++;
                }
                else
                {
                    break;
                }
            }

            var standsAlone = j >= text.Length || !SensitiveInformation.IsWordChar(text[j]);
            if (count == length && standsAlone && PassesMod97(iban[..count]))
            {
                found.Add(new string(iban[..count]));
            }
        }

        return found.Count;
    }

    /// <summary>ISO 13616: the first four characters moved to the end, letters as 10–35, the number mod 97 is 1.</summary>
    public static bool PassesMod97(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 5)
        {
            return false;
        }

        var remainder = 0;
        for (var k = 0; k < iban.Length; k++)
        {
            var c = iban[(k + 4) % iban.Length];
            if (SensitiveInformation.IsAsciiDigit(c))
            {
                remainder = (remainder * 10 + (c - '0')) % 97;
            }
            else if (IsUpperAscii(c))
            {
                remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
            }
            else
            {
                return false;
            }
        }

        return remainder == 1;
    }

    private static bool IsUpperAscii(char c) => c is >= 'A' and <= 'Z';
}

/// <summary>Dutch BSN: 9 digits, written together (111222333) or as 1112.22.333.</summary>
public static class BsnDetector
{
    public static int Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new HashSet<string>(StringComparer.Ordinal);
        Span<char> digits = stackalloc char[9];
        for (var i = 0; i < text.Length; i++)
        {
            if (!SensitiveInformation.IsAsciiDigit(text[i]) || (i > 0 && (SensitiveInformation.IsWordChar(text[i - 1]) || IsJoinedNumber(text, i - 1))))
            {
                continue;
            }

            var end = Match(text, i, digits);
            if (end < 0)
            {
                continue;
            }

            var standsAlone = end >= text.Length || !(SensitiveInformation.IsWordChar(text[end]) || IsJoinedNumber(text, end));
            if (standsAlone && PassesElevenTest(digits))
            {
                found.Add(new string(digits));
            }

            i = end - 1;
        }

        return found.Count;
    }

    /// <summary>9·d1 + 8·d2 + … + 2·d8 − d9 is a multiple of 11 (and the number is not all zeros).</summary>
    public static bool PassesElevenTest(ReadOnlySpan<char> digits)
    {
        if (digits.Length != 9)
        {
            return false;
        }

        var sum = 0;
        for (var k = 0; k < 8; k++)
        {
            sum += (9 - k) * (digits[k] - '0');
        }

        sum -= digits[8] - '0';
        return sum != 0 && sum % 11 == 0;
    }

    /// <summary>Returns the index after the BSN at <paramref name="start"/>, or -1.</summary>
    private static int Match(string text, int start, Span<char> digits)
    {
        // 123456782
        var j = start;
        var n = 0;
        while (j < text.Length && n < 10 && SensitiveInformation.IsAsciiDigit(text[j]))
        {
            if (n < 9)
            {
                digits[n] = text[j];
            }

            n++;
            j++;
        }

        if (n == 9)
        {
            return j;
        }

        // 1234.56.782
        if (n == 4 && Group(text, j, 2) && Group(text, j + 3, 3))
        {
            text.AsSpan(j + 1, 2).CopyTo(digits[4..]);
            text.AsSpan(j + 4, 3).CopyTo(digits[6..]);
            return j + 7;
        }

        return -1;
    }

    private static bool Group(string text, int dot, int length)
    {
        if (dot + length >= text.Length || text[dot] != '.')
        {
            return false;
        }

        for (var k = 1; k <= length; k++)
        {
            if (!SensitiveInformation.IsAsciiDigit(text[dot + k]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A dot or dash between digits joins them into one longer number (an amount, a phone number).</summary>
    private static bool IsJoinedNumber(string text, int index)
    {
        if (index < 0 || index >= text.Length || text[index] is not ('.' or '-' or ','))
        {
            return false;
        }

        return index > 0 && index + 1 < text.Length
            && SensitiveInformation.IsAsciiDigit(text[index - 1]) && SensitiveInformation.IsAsciiDigit(text[index + 1]);
    }
}
