namespace OmePortal.Web.Access;

/// <summary>Anchor type for the sign-in strings (AccessResource.resx, AccessResource.nl.resx).</summary>
public sealed class AccessResource;
