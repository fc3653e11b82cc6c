namespace OmePortal.Web.Shared;

/// <summary>Anchor type for the shared UI strings (SharedResource.resx, SharedResource.nl.resx).</summary>
public sealed class SharedResource;
