namespace OmePortal.Web.Access.External;

/// <summary>Anchor type for the external sign-in and passkey offer strings (ExternalSignInResource.resx, ExternalSignInResource.nl.resx).</summary>
public sealed class ExternalSignInResource;
