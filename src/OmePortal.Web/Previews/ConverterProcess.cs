using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace OmePortal.Web.Previews;

/// <summary>How one converter run ended.</summary>
internal abstract record ConverterExit
{
    private ConverterExit() { }

    /// <summary>The process ended by itself. <paramref name="Output"/> is the head of its standard output.</summary>
    public sealed record Exited(int ExitCode, string Output, string Errors) : ConverterExit;

    /// <summary>The wall-clock limit passed (or the caller gave up): the whole process group was killed.</summary>
    public sealed record Killed : ConverterExit;
}

/// <summary>What a converter may use: its wall-clock limit and its address space.</summary>
internal sealed record ConverterLimits(TimeSpan Timeout, int MemoryMegabytes, int MaxOutputFileMegabytes);

/// <summary>
/// Runs one converter (poppler, LibreOffice) on a hostile document as a child process with nothing of the
/// portal's: an environment built from scratch (no secret or connection string the portal holds can reach it;
/// HOME and TMPDIR point into the conversion's private directory), CPU time, address space and file size
/// limited by <c>prlimit</c> before the tool starts, its own process group (<c>setsid</c>), and a wall-clock
/// limit after which the whole group is killed, whatever the tool forked. The group is killed after a normal
/// exit as well, so nothing it left running outlives the conversion.
/// </summary>
internal static partial class ConverterProcess
{
    private const int OutputCap = 256 * 1024;
    private const int SignalKill = 9;

    public static async Task<ConverterExit> RunAsync(
        PreviewOptions options,
        string tool,
        IReadOnlyList<string> arguments,
        PreviewWorkspace workspace,
        ConverterLimits limits,
        CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.SetsidPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workspace.Path,
        };

        // CPU seconds: the wall-clock limit, rounded up; a busy-looping converter is stopped by either.
        var cpuSeconds = (long)Math.Ceiling(limits.Timeout.TotalSeconds) + 1;
        start.ArgumentList.Add(options.PrlimitPath);
        start.ArgumentList.Add($"--as={(long)limits.MemoryMegabytes * 1024 * 1024}");
        start.ArgumentList.Add($"--cpu={cpuSeconds}");
        start.ArgumentList.Add($"--fsize={(long)limits.MaxOutputFileMegabytes * 1024 * 1024}");
        start.ArgumentList.Add("--core=0");
        start.ArgumentList.Add("--nofile=512");
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(tool);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = workspace.HomePath;
        start.Environment["TMPDIR"] = workspace.TempPath;
        start.Environment["LANG"] = "C.UTF-8";
        start.Environment["LC_ALL"] = "C.UTF-8";

        using var process = new Process { StartInfo = start };
        process.Start();
        var processId = process.Id;
        process.StandardInput.Close();
        var output = ReadCappedAsync(process.StandardOutput);
        var errors = ReadCappedAsync(process.StandardError);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limits.Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            KillGroup(processId);
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(output, errors);
            cancellationToken.ThrowIfCancellationRequested();
            return new ConverterExit.Killed();
        }

        KillGroup(processId);
        return new ConverterExit.Exited(process.ExitCode, await output, await errors);
    }

    /// <summary>Reads a stream to its end (so the child never blocks on a full pipe), keeping only its head.</summary>
    private static async Task<string> ReadCappedAsync(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (kept.Length < OutputCap)
            {
                kept.Append(buffer, 0, Math.Min(read, OutputCap - kept.Length));
            }
        }

        return kept.ToString();
    }

    /// <summary>
    /// <c>setsid</c> executes the tool in place (the portal's child is no group leader), so the child's id is
    /// its process group's id: signalling the negative id reaches everything the converter started.
    /// </summary>
    private static void KillGroup(int processId) => _ = Kill(-processId, SignalKill);

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended on its own meanwhile.
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int processId, int signal);
}
