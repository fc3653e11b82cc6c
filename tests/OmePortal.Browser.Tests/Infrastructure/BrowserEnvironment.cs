namespace OmePortal.Browser.Tests.Infrastructure;

/// <summary>
/// Where the browser and axe-core are. ./test.sh exports both; a missing one is a failure, never a
/// skip (locally as well as under CI): a browser suite that silently does nothing proves nothing.
/// </summary>
public static class BrowserEnvironment
{
    public const string ChromiumVariable = "OMEPORTAL_CHROMIUM";
    public const string AxeVariable = "OMEPORTAL_AXE";

    public static string ChromiumPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } value ? value : "/usr/bin/chromium";
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException(
                    $"Chromium was not found at '{path}'. Install it (apt-get install -y chromium) or set {ChromiumVariable}; ./test.sh does both.");
        }
    }

    /// <summary>axe.min.js: $OMEPORTAL_AXE, else node_modules beside this project's sources (after npm ci).</summary>
    public static string AxePath
    {
        get
        {
            if (Environment.GetEnvironmentVariable(AxeVariable) is { Length: > 0 } value)
            {
                return File.Exists(value)
                    ? value
                    : throw new InvalidOperationException($"{AxeVariable} points at '{value}', which does not exist. Run ./test.sh (npm ci installs axe-core).");
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "node_modules", "axe-core", "axe.min.js");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException(
                $"axe-core was not found. Run 'npm ci' in tests/OmePortal.Browser.Tests or set {AxeVariable}; ./test.sh does both.");
        }
    }
}
