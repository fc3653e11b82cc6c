using System.Text.RegularExpressions;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>
/// The production guide, <c>docs/deploying.md</c>, as the tests run it: its blocks marked
/// <c>&lt;!-- guide:name --&gt;</c>, with the server's paths moved under a test root.
/// </summary>
public sealed partial class DeployingGuide
{
    /// <summary>The absolute paths the guide writes to, each moved under the test root.</summary>
    public static readonly IReadOnlyList<string> ServerPaths = ["/opt/omeportal", "/etc/omeportal", "/var/lib/omeportal", "/var/backups/omeportal"];

    private readonly Dictionary<string, string> _blocks;

    private DeployingGuide(Dictionary<string, string> blocks) => _blocks = blocks;

    /// <summary>The repository's root: the guide's commands run there.</summary>
    public static string RepositoryRoot => TestEnvironment.RepositoryRoot;

    public static DeployingGuide Load()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "deploying.md"));
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in MarkedBlock().Matches(text))
        {
            blocks.Add(match.Groups["name"].Value, match.Groups["body"].Value.ReplaceLineEndings("\n"));
        }

        return new DeployingGuide(blocks);
    }

    /// <summary>The text of the block marked <paramref name="name"/>, as the guide shows it.</summary>
    public string Block(string name) =>
        _blocks.TryGetValue(name, out var body) ? body : throw new InvalidOperationException($"docs/deploying.md has no block marked guide:{name}.");

    /// <summary><paramref name="text"/> with every server path of the guide moved under <paramref name="root"/>.</summary>
    public static string Relocate(string text, string root)
    {
        foreach (var path in ServerPaths)
        {
            text = text.Replace(path, root + path, StringComparison.Ordinal);
        }

        return text;
    }

    [GeneratedRegex(@"<!-- guide:(?<name>[a-z-]+) -->\r?\n```[a-z]*\r?\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();
}
