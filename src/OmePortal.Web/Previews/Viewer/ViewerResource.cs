namespace OmePortal.Web.Previews.Viewer;

/// <summary>Anchor type for the attachment viewer's strings (ViewerResource.resx, ViewerResource.nl.resx).</summary>
public sealed class ViewerResource;
