namespace OmePortal.Web.Admin.Revocation;

/// <summary>Anchor type for the admin's revocation strings: the trace page actions and the confirmation (AdminRevocationResource.resx, AdminRevocationResource.nl.resx).</summary>
public sealed class AdminRevocationResource;
