namespace OmePortal.Bench;

public sealed class BenchOptions
{
    public HashSet<string> Parts { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? WebDll { get; private set; }

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(15);

    public int Concurrency { get; private set; } = 16;

    /// <summary>SMTP ingest: sessions open at once, for the gateway and for Postfix (issue 24 measures with 10).</summary>
    public int SmtpSessions { get; private set; } = 10;

    /// <summary>SMTP ingest: leave Nagle's algorithm on in the client's sockets, as the bench did before 2026-12-07.</summary>
    public bool Nagle { get; private set; }

    /// <summary>REST and SMTP ingest: "sqlite" or "postgres" only; both when not given (PostgreSQL when one was started).</summary>
    public string? Storage { get; private set; }

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
                case "--storage":
                    options.Storage = args[++i].ToLowerInvariant() is "sqlite" or "postgres" ? args[i].ToLowerInvariant()
                        : throw new ArgumentException("--storage is sqlite or postgres");
                    break;
                case "--nagle":
                    options.Nagle = true;
                    break;
                case "--sessions":
                    options.SmtpSessions = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
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
