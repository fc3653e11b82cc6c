namespace OmePortal.Web.Admin.Branding;

/// <summary>Anchor type for the admin branding pages (BrandingResource.resx, BrandingResource.nl.resx).</summary>
public sealed class BrandingResource;
