namespace OmePortal.Web.Admin.Rules;

/// <summary>Anchor type for the admin mail-flow rules pages (RulesResource.resx, RulesResource.nl.resx).</summary>
public sealed class RulesResource;
