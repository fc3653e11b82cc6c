using System.Text;

namespace OmePortal.Core.Branding;

/// <summary>Loads a brand from a directory holding brand.json and the logo file it names.</summary>
public static class BrandLoader
{
    /// <summary>The name of the brand file in a brand directory.</summary>
    public const string BrandFileName = "brand.json";

    /// <summary>
    /// Reads <c>brand.json</c> from <paramref name="directory"/> and the logo file it names in
    /// <c>"logo"</c> (a plain file name in the same directory). The logo's type is taken from its
    /// content (PNG, JPEG or GIF magic bytes), never from its extension. The result is validated.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">There is no brand.json in it.</exception>
    /// <exception cref="InvalidDataException">
    /// brand.json or the logo is invalid; the message and <see cref="BrandErrors.FieldOf"/> name the field.
    /// </exception>
    public static BrandTemplate LoadDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"The brand directory '{full}' does not exist.");
        }

        var jsonPath = Path.Combine(full, BrandFileName);
        var jsonFile = new FileInfo(jsonPath);
        if (!jsonFile.Exists)
        {
            throw new FileNotFoundException($"The brand directory '{full}' has no {BrandFileName}.", jsonPath);
        }

        if (jsonFile.Length > BrandLimits.MaxBrandJsonBytes)
        {
            throw BrandErrors.Create(
                [new BrandValidationError("$", $"{BrandFileName} must be at most {BrandLimits.MaxBrandJsonBytes / 1024} KiB.")], jsonPath);
        }

        string json;
        try
        {
            json = File.ReadAllText(jsonPath, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException e)
        {
            throw BrandErrors.Create([new BrandValidationError("$", $"{BrandFileName} is not valid UTF-8.")], jsonPath, e);
        }

        var (template, logoFile) = BrandSerializer.Parse(json, jsonPath);
        var logo = logoFile is null ? null : LoadLogo(full, logoFile, jsonPath);
        template = template with { Logo = logo };

        var errors = BrandValidator.Validate(template);
        return errors.Count > 0 ? throw BrandErrors.Create(errors, jsonPath) : template;
    }

    private static BrandLogo LoadLogo(string directory, string logoFile, string source)
    {
        InvalidDataException Invalid(string message) =>
            BrandErrors.Create([new BrandValidationError("logo", message)], source);

        if (string.IsNullOrWhiteSpace(logoFile)
            || logoFile is "." or ".."
            || logoFile.IndexOfAny(['/', '\\', ':', '\0']) >= 0
            || !string.Equals(Path.GetFileName(logoFile), logoFile, StringComparison.Ordinal))
        {
            throw Invalid($"'{logoFile}' must be a plain file name in the brand directory.");
        }

        var file = new FileInfo(Path.Combine(directory, logoFile));
        if (!file.Exists)
        {
            throw Invalid($"the file '{logoFile}' does not exist in '{directory}'.");
        }

        if (file.Length > BrandLimits.MaxLogoBytes)
        {
            throw Invalid($"'{logoFile}' must be at most {BrandLimits.MaxLogoBytes / 1024} KiB (it has {file.Length} bytes).");
        }

        var bytes = File.ReadAllBytes(file.FullName);
        var info = LogoInspector.Inspect(bytes)
            ?? throw Invalid($"'{logoFile}' is not a PNG, JPEG or GIF image (checked by content, not by its name).");
        return new BrandLogo(bytes, info.ContentType);
    }
}
