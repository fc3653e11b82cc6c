namespace OmePortal.Web.Admin.Trace;

/// <summary>Anchor type for the admin message trace and audit log pages (TraceResource.resx, TraceResource.nl.resx).</summary>
public sealed class TraceResource;
