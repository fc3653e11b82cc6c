using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Localization;

namespace OmePortal.Web.Hosting;

/// <summary>
/// The resource localizers, with each string remembered per UI culture once looked up. The strings
/// are embedded resources and cannot change while the process runs, but
/// <see cref="System.Resources.ResourceManager.GetString(string, CultureInfo)"/> takes a process-wide
/// lock and walks the culture fallback chain on every call: a message page asks for some twenty
/// strings, and under load that lock was a visible share of a page's CPU (bench/RESULTS.md).
/// </summary>
internal sealed class CachingStringLocalizerFactory(ResourceManagerStringLocalizerFactory inner) : IStringLocalizerFactory
{
    private readonly ConcurrentDictionary<Type, IStringLocalizer> _byType = new();
    private readonly ConcurrentDictionary<(string BaseName, string Location), IStringLocalizer> _byName = new();

    public IStringLocalizer Create(Type resourceSource) =>
        _byType.GetOrAdd(resourceSource, static (type, factory) => new CachingStringLocalizer(factory.Create(type)), inner);

    public IStringLocalizer Create(string baseName, string location) =>
        _byName.GetOrAdd((baseName, location), static (key, factory) => new CachingStringLocalizer(factory.Create(key.BaseName, key.Location)), inner);
}

/// <summary>One resource's strings, remembered per UI culture; formatting with arguments is done per call, in the current culture.</summary>
internal sealed class CachingStringLocalizer(IStringLocalizer inner) : IStringLocalizer
{
    /// <summary>
    /// Names are constants in the pages, so the set is small; the bound only matters if a caller ever
    /// passes names it did not choose itself (those are then looked up each time, not remembered).
    /// </summary>
    internal const int MaxEntries = 4096;

    private readonly ConcurrentDictionary<(string Culture, string Name), LocalizedString> _strings = new();

    public LocalizedString this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            var key = (CultureInfo.CurrentUICulture.Name, name);
            if (_strings.TryGetValue(key, out var found))
            {
                return found;
            }

            found = inner[name];
            if (_strings.Count < MaxEntries)
            {
                _strings.TryAdd(key, found);
            }

            return found;
        }
    }

    // As ResourceManagerStringLocalizer: a missing name is its own format string.
    public LocalizedString this[string name, params object[] arguments]
    {
        get
        {
            var format = this[name];
            return new LocalizedString(name, string.Format(CultureInfo.CurrentCulture, format.Value, arguments), format.ResourceNotFound, format.SearchedLocation);
        }
    }

    public IEnumerable<LocalizedString> GetAllStrings(bool includeParentCultures) => inner.GetAllStrings(includeParentCultures);

    internal int Count => _strings.Count;
}
