using System.Diagnostics;
using System.Text;

namespace OmePortal.Testing.Interop;

public sealed record ToolResult(int ExitCode, byte[] Output, string Errors)
{
    public string OutputText => Encoding.UTF8.GetString(Output);
}

/// <summary>
/// Runs an independent command-line tool (gpg, openssl) with bytes on stdin, so interoperability is
/// checked by other software than the library that produced the data.
/// </summary>
public static class ExternalTool
{
    public static ToolResult Run(string file, IEnumerable<string> arguments, byte[]? input = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = new MemoryStream();
        var copyOutput = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.BaseStream.Write(input);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish.");
        }

        copyOutput.GetAwaiter().GetResult();
        return new ToolResult(process.ExitCode, output.ToArray(), errors.GetAwaiter().GetResult());
    }

    public static ToolResult RunChecked(string file, IEnumerable<string> arguments, byte[]? input = null)
    {
        var result = Run(file, arguments, input);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Errors}");
        }

        return result;
    }
}
