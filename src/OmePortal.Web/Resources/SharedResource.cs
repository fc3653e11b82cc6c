namespace OmePortal.Web.Resources;

/// <summary>Anchor type for the shared UI strings (SharedResource.resx, SharedResource.nl.resx).</summary>
public sealed class SharedResource;
