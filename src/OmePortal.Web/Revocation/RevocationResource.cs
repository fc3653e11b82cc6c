namespace OmePortal.Web.Revocation;

/// <summary>Anchor type for the portal's revocation strings: the sender's revoke link and confirmation (RevocationResource.resx, RevocationResource.nl.resx).</summary>
public sealed class RevocationResource;
