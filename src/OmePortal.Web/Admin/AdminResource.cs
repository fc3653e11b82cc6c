namespace OmePortal.Web.Admin;

/// <summary>Anchor type for the admin shell and account strings (AdminResource.resx, AdminResource.nl.resx).</summary>
public sealed class AdminResource;
