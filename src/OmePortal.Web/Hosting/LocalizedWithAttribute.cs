namespace OmePortal.Web.Hosting;

/// <summary>
/// Says which resource anchor holds the validation messages of a form model, so each feature keeps
/// its strings in its own resource file. Models without it use the shared resource.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LocalizedWithAttribute(Type resource) : Attribute
{
    public Type Resource { get; } = resource;
}
