namespace OmePortal.Web.Replies;

/// <summary>Anchor type for the reply and forward strings (RepliesResource.resx, RepliesResource.nl.resx).</summary>
public sealed class RepliesResource;
