using System.Globalization;

namespace OmePortal.Core.Branding;

/// <summary>
/// The colours a page or mail draws in a brand colour, chosen by WCAG 2.x contrast so that every text stays
/// readable (AA for body text, 4.5:1) whatever colour an admin picked. One implementation for the portal pages
/// (<see cref="PortalPalette"/>), the branded mails and the admin's contrast warning.
/// </summary>
public static class BrandColors
{
    /// <summary>WCAG AA for normal-size text.</summary>
    public const double MinimumTextContrast = 4.5;

    public const string White = "#FFFFFF";

    /// <summary>The light and dark text colours; whichever contrasts more with a background is used on it.</summary>
    public const string LightText = "#FFFFFF";
    public const string DarkText = "#111827";

    /// <summary>The portal's own accent (links, buttons) when a brand colour cannot serve as one.</summary>
    public const string PortalAccent = "#0F5CA8";

    /// <summary>
    /// A brand colour lighter than this against white (contrast ratio) is not darkened into an accent: a
    /// darkened pastel or yellow turns grey or olive, which looks less like the brand than the portal's own blue.
    /// </summary>
    public const double DarkenableContrast = 2.0;

    /// <summary>Below this spread between the strongest and weakest channel a colour counts as grey (white, beige, black).</summary>
    private const int MinimumChroma = 40;

    /// <summary>The WCAG 2.x relative luminance of a <c>#RRGGBB</c> colour (sRGB channels linearised), 0 to 1.</summary>
    /// <exception cref="ArgumentException"><paramref name="color"/> is not <c>#RRGGBB</c>.</exception>
    public static double RelativeLuminance(string color)
    {
        var (r, g, b) = Channels(color);
        return (0.2126 * Linear(r)) + (0.7152 * Linear(g)) + (0.0722 * Linear(b));
    }

    /// <summary>The WCAG 2.x contrast ratio of two <c>#RRGGBB</c> colours, 1 to 21 (order does not matter).</summary>
    /// <exception cref="ArgumentException">Either colour is not <c>#RRGGBB</c>.</exception>
    public static double ContrastRatio(string a, string b)
    {
        var la = RelativeLuminance(a);
        var lb = RelativeLuminance(b);
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    /// <summary>
    /// The text colour for <paramref name="background"/>: <see cref="LightText"/> or <see cref="DarkText"/>,
    /// whichever contrasts more; pure black in the narrow middle where neither reaches
    /// <see cref="MinimumTextContrast"/> (black always does where white does not).
    /// </summary>
    public static string ReadableTextOn(string background)
    {
        var light = ContrastRatio(LightText, background);
        var dark = ContrastRatio(DarkText, background);
        if (Math.Max(light, dark) >= MinimumTextContrast)
        {
            return light >= dark ? LightText : DarkText;
        }

        return "#000000";
    }

    /// <summary>
    /// The accent for links and buttons on a white surface: the brand colour itself when it reaches
    /// <see cref="MinimumTextContrast"/> against white; else, for a coloured (not grey) brand that is not
    /// too light, the same hue darkened just enough to reach it; else <see cref="PortalAccent"/>. So a
    /// link is always readable on a card and a button always carries readable white text.
    /// </summary>
    public static string AccentOnWhite(string brandColor)
    {
        var color = brandColor.ToUpperInvariant();
        var contrast = ContrastRatio(color, White);
        if (contrast >= MinimumTextContrast)
        {
            return color;
        }

        var (r, g, b) = Channels(color);
        if (contrast < DarkenableContrast || Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b)) < MinimumChroma)
        {
            return PortalAccent;
        }

        // Scale the channels down in small steps: the first shade that reaches AA keeps as much of the brand as can be.
        for (var step = 99; step >= 0; step--)
        {
            var factor = step / 100.0;
            var shade = Hex((int)(r * factor), (int)(g * factor), (int)(b * factor));
            if (ContrastRatio(shade, White) >= MinimumTextContrast)
            {
                return shade;
            }
        }

        return "#000000";
    }

    /// <summary>The colours of a portal page in <paramref name="brandColor"/>; a value that is not <c>#RRGGBB</c> counts as white.</summary>
    public static PortalPalette PaletteFor(string? brandColor)
    {
        var background = BrandValidator.IsColor(brandColor) ? brandColor!.ToUpperInvariant() : White;
        var accent = AccentOnWhite(background);
        return new PortalPalette(background, ReadableTextOn(background), accent, ReadableTextOn(accent));
    }

    private static (int R, int G, int B) Channels(string color)
    {
        if (!BrandValidator.IsColor(color))
        {
            throw new ArgumentException($"'{color}' is not a colour of the form #RRGGBB.", nameof(color));
        }

        static int Parse(string hex) => int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (Parse(color[1..3]), Parse(color[3..5]), Parse(color[5..7]));
    }

    private static double Linear(int channel)
    {
        var value = channel / 255.0;
        return value <= 0.04045 ? value / 12.92 : Math.Pow((value + 0.055) / 1.055, 2.4);
    }

    private static string Hex(int r, int g, int b) => string.Create(CultureInfo.InvariantCulture, $"#{r:X2}{g:X2}{b:X2}");
}

/// <summary>
/// The colours of a branded portal page, each pair readable by construction (contrast at least
/// <see cref="BrandColors.MinimumTextContrast"/>): text and links drawn straight on the brand background
/// (<see cref="Background"/> / <see cref="TextOnBackground"/>: the footer, the "back" link), links and
/// buttons on the white cards (<see cref="Accent"/> on white, <see cref="TextOnAccent"/> on <see cref="Accent"/>).
/// </summary>
public sealed record PortalPalette(string Background, string TextOnBackground, string Accent, string TextOnAccent);
