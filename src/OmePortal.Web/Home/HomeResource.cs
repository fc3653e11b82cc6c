namespace OmePortal.Web.Home;

/// <summary>Anchor type for the landing and error page strings (HomeResource.resx, HomeResource.nl.resx).</summary>
public sealed class HomeResource;
