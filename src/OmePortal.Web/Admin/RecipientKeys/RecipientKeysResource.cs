namespace OmePortal.Web.Admin.RecipientKeys;

/// <summary>Anchor type for the recipient key admin strings (RecipientKeysResource.resx, RecipientKeysResource.nl.resx) and the recipient's key section on /security.</summary>
public sealed class RecipientKeysResource;
