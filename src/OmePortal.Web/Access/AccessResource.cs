using Microsoft.Extensions.Localization;

namespace OmePortal.Web.Access;

/// <summary>Anchor type for the sign-in strings (AccessResource.resx, AccessResource.nl.resx).</summary>
public sealed class AccessResource;

public static class AccessStrings
{
    /// <summary>A wait as words (<c>{key}Second…</c> or <c>{key}Minute…</c>): seconds under two minutes, whole minutes (rounded up) from there.</summary>
    public static LocalizedString Wait(this IStringLocalizer text, string key, TimeSpan wait) =>
        wait < TimeSpan.FromMinutes(2)
            ? text.Plural(key + "Second", Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)))
            : text.Plural(key + "Minute", (int)Math.Ceiling(wait.TotalMinutes));
}
