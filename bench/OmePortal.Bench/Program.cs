using OmePortal.Bench;

// OmePortal benchmarks. Run with bench/run.sh (Release build); results are printed as Markdown
// and recorded by hand in bench/RESULTS.md together with the machine they ran on.
var options = BenchOptions.Parse(args);
var report = new Report();
report.Line($"# OmePortal benchmark run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
report.Line($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
report.Line();

if (options.Runs("vault"))
{
    VaultBench.Run(report);
}

if (options.Runs("rest") || options.Runs("smtp") || options.Runs("memory") || options.Runs("read") || options.Runs("preview") || options.Parts.Contains("scale"))
{
    if (options.WebDll is null)
    {
        Console.Error.WriteLine("--web-dll <path to OmePortal.Web.dll> is needed for rest, smtp and memory.");
        return 2;
    }

    if (options.Runs("rest"))
    {
        await IngestBench.RestAsync(report, options);
    }

    if (options.Runs("smtp"))
    {
        await IngestBench.SmtpAsync(report, options);
    }

    if (options.Runs("memory"))
    {
        await MemoryBench.RunAsync(report, options);
    }

    if (options.Runs("read"))
    {
        await ReadBench.RunAsync(report, options);
    }

    if (options.Runs("preview"))
    {
        await PreviewBench.RunAsync(report, options);
    }

    // Only when asked for by name: it needs the shared engines that bench/run.sh starts for it.
    if (options.Parts.Contains("scale"))
    {
        await ScaleBench.RunAsync(report, options);
    }
}

return 0;
