namespace OmePortal.Web.Tenancy;

/// <summary>Section <c>OmePortal:Bootstrap</c>: what the first run creates.</summary>
public sealed class BootstrapOptions
{
    public const string Section = "OmePortal:Bootstrap";

    public string TenantSlug { get; set; } = "default";

    public string TenantName { get; set; } = "Default organisation";

    /// <summary>Use this API key for the first tenant instead of a random one (automation). Must start with "omp_".</summary>
    public string? ApiKey { get; set; }

    /// <summary>The brand that seeds the default template. Defaults to the built-in <c>branding/default</c>.</summary>
    public string? BrandDirectory { get; set; }

    /// <summary>
    /// With <see cref="AdminPassword"/>: the system admin created at start while no admin exists. Without
    /// them, a one-time setup link is written to the log instead. The admin enrols an authenticator at first sign-in.
    /// </summary>
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }
}
