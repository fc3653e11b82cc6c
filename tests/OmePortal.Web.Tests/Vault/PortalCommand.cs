using System.Diagnostics;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Vault;

/// <summary>Runs a maintenance verb of the real portal (<c>dotnet OmePortal.Web.dll rotate-master-key ...</c>) with a portal process's configuration.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class PortalCommand
{
    public static async Task<(int ExitCode, string Output)> RunAsync(PortalProcess portal, IDictionary<string, string>? extraEnvironment, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(PortalProcess.AppPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in portal.Settings)
        {
            start.Environment[key] = value;
        }

        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Writes a new random master key file, owner-only, as an operator would (<c>head -c 32 /dev/urandom | base64</c>).</summary>
    public static string WriteKeyFile(string path, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(path, key + "\n");
        File.SetUnixFileMode(path, mode);
        return key;
    }
}
