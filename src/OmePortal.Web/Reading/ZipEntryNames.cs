using System.Globalization;
using System.Text;

namespace OmePortal.Web.Reading;

/// <summary>
/// Names for the entries of the "download all" zip. The file names are the sender's content: no entry
/// may name a folder (only a name's last segment is kept; no "../", no absolute path, no drive), characters
/// that file systems refuse and control characters become "_", and two files of the
/// same name both arrive ("report.pdf", "report (2).pdf"), compared as a case-insensitive file system would.
/// </summary>
public static class ZipEntryNames
{
    private const int MaxLength = 120;

    public static IReadOnlyList<string> For(IEnumerable<string> fileNames)
    {
        ArgumentNullException.ThrowIfNull(fileNames);
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        foreach (var original in fileNames)
        {
            var name = Clean(original, names.Count + 1);
            var unique = name;
            for (var n = 2; !taken.Add(unique); n++)
            {
                var extension = Path.GetExtension(name);
                unique = string.Create(CultureInfo.InvariantCulture, $"{name[..^extension.Length]} ({n}){extension}");
            }

            names.Add(unique);
        }

        return names;
    }

    private static string Clean(string? fileName, int position)
    {
        // Only the last segment of a name that carries a path ("../../etc/notes.txt" is "notes.txt").
        var last = (fileName ?? string.Empty).Replace('\\', '/');
        last = last[(last.LastIndexOf('/') + 1)..];
        var builder = new StringBuilder();
        foreach (var c in last)
        {
            builder.Append(c is '/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|' || char.IsControl(c) ? '_' : c);
        }

        // Leading dots and spaces would make "..", hidden files or names Windows refuses.
        var name = builder.ToString().Trim().TrimStart('.').TrimEnd('.', ' ');
        if (name.Length > MaxLength)
        {
            var extension = Path.GetExtension(name);
            var keep = extension.Length is > 0 and <= 10 ? MaxLength - extension.Length : MaxLength;
            if (char.IsHighSurrogate(name[keep - 1]))
            {
                keep--; // never half a character
            }

            name = name[..keep] + (extension.Length is > 0 and <= 10 ? extension : string.Empty);
        }

        return name.Length == 0 ? string.Create(CultureInfo.InvariantCulture, $"attachment-{position}") : name;
    }
}
