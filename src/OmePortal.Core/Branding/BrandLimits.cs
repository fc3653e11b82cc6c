namespace OmePortal.Core.Branding;

/// <summary>The limits a brand template must respect (OME's, plus a few for safety).</summary>
public static class BrandLimits
{
    /// <summary>Introduction, read button, email and disclaimer texts (characters, UTF-16 code units).</summary>
    public const int MaxTextLength = 1024;

    /// <summary>The portal text.</summary>
    public const int MaxPortalTextLength = 128;

    public const int MaxNameLength = 64;

    public const int MinExpiryDays = 0;

    /// <summary>Two years, as OME.</summary>
    public const int MaxExpiryDays = 730;

    public const int MaxUrlLength = 2048;

    /// <summary>The largest logo file accepted.</summary>
    public const int MaxLogoBytes = 256 * 1024;

    /// <summary>The largest logo width and height in pixels.</summary>
    public const int MaxLogoPixels = 2048;

    /// <summary>The largest brand.json accepted by the loader.</summary>
    public const int MaxBrandJsonBytes = 256 * 1024;
}
