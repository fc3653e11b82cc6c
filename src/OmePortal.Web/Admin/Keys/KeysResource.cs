namespace OmePortal.Web.Admin.Keys;

/// <summary>Anchor type for the keys admin strings: tenant key rotation and API keys (KeysResource.resx, KeysResource.nl.resx).</summary>
public sealed class KeysResource;
