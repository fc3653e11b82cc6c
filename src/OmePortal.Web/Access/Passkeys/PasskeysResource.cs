namespace OmePortal.Web.Access.Passkeys;

/// <summary>Anchor type for the passkey strings (PasskeysResource.resx, PasskeysResource.nl.resx).</summary>
public sealed class PasskeysResource;
