namespace OmePortal.Web.Reading;

/// <summary>Anchor type for the reading strings: inbox, message page, refusals (ReadingResource.resx, ReadingResource.nl.resx).</summary>
public sealed class ReadingResource;
