namespace OmePortal.Web.Resources;

/// <summary>Anchor type for the admin message trace and audit log pages (TraceResource.resx, TraceResource.nl.resx).</summary>
public sealed class TraceResource;
