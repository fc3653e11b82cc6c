namespace OmePortal.Bench;

public sealed class BenchOptions
{
    public HashSet<string> Parts { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? WebDll { get; private set; }

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(15);

    public int Concurrency { get; private set; } = 16;

    /// <summary>Reading only: keep the signed-in portal up this long before measuring, for a profiler or wrk by hand.</summary>
    public TimeSpan Hold { get; private set; } = TimeSpan.Zero;

    public bool Runs(string part) => Parts.Count == 0 || Parts.Contains("all") || Parts.Contains(part);

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--web-dll":
                    options.WebDll = Path.GetFullPath(args[++i]);
                    break;
                case "--seconds":
                    options.Duration = TimeSpan.FromSeconds(int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "--hold":
                    options.Hold = TimeSpan.FromSeconds(int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "--concurrency":
                    options.Concurrency = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    options.Parts.Add(args[i]);
                    break;
            }
        }

        return options;
    }
}

public sealed class Report
{
    public void Line(string text = "") => Console.WriteLine(text);
}
