using System.Diagnostics;
using System.Text;

namespace OmePortal.Testing;

/// <summary>
/// The real portal as a separate OS process (<c>dotnet OmePortal.Web.dll</c> from the test output), so a
/// test can SIGKILL it and start it again on the same data directory and ports. Every line the
/// process writes is kept, tagged with its generation, for the test output on failure. The app is the
/// OmePortal.Web.dll that every test project referencing this one gets in its output, so any of them
/// can start it.
/// </summary>
public sealed class PortalProcess : IDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string _workingDirectory;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _http;
    private Process? _process;

    public PortalProcess(string dataDirectory, int httpPort, int smtpPort, string apiKey, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        HttpPort = httpPort;
        SmtpPort = smtpPort;
        ApiKey = apiKey;
        DataDirectory = dataDirectory;
        _workingDirectory = workingDirectory;
        _environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["OmePortal__DataDirectory"] = dataDirectory,
            ["OmePortal__Smtp__Port"] = smtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OmePortal__Bootstrap__ApiKey"] = apiKey,
            // Production enforces accepted domains: the test senders and samples write from contoso.test.
            ["OmePortal__Bootstrap__AcceptedDomains__0"] = "contoso.test",
            ["OmePortal__PublicBaseUrl"] = $"http://127.0.0.1:{httpPort}",
            // A throwaway data directory: keeping the key beside the data is fine here (Production refuses it otherwise).
            ["OmePortal__Vault__AllowKeyInDataDirectory"] = "true",
            // Mail goes to the pickup directory, where the tests read it (Production refuses that unless allowed).
            ["OmePortal__Notifications__AllowPickupInProduction"] = "true",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            _environment[key] = value;
        }

        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(5) };

        // Should the test run be torn down without disposing this, still take the child with it.
        AppDomain.CurrentDomain.ProcessExit += OnTestProcessExit;
    }

    /// <summary>The process's environment variables (configuration as <c>OmePortal__Section__Key</c>); change before <see cref="Start"/>.</summary>
    public IDictionary<string, string> Settings => _environment;

    public int HttpPort { get; }

    public int SmtpPort { get; }

    public string BaseUrl => $"http://127.0.0.1:{HttpPort}";

    public string ApiKey { get; }

    public string DataDirectory { get; }

    /// <summary>Where the portal writes its mail in development (the pickup directory under the data directory).</summary>
    public string OutboxDirectory => Path.Combine(DataDirectory, "outbox");

    public int Generation { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The OS process id of the running generation (for /proc/&lt;pid&gt;/status).</summary>
    public int ProcessId => _process is { HasExited: false } process ? process.Id : throw new InvalidOperationException("The portal process is not running.");

    public static string AppPath => Path.Combine(AppContext.BaseDirectory, "OmePortal.Web.dll");

    /// <summary>The portal to run: the one built beside the tests unless a test published its own.</summary>
    public string Application { get; init; } = AppPath;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The portal process is already running.");
        }

        _process?.Dispose();
        Generation++;
        var generation = Generation;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            WorkingDirectory = _workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Application);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(generation, "out", e.Data);
        process.ErrorDataReceived += (_, e) => Append(generation, "err", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Append(generation, "test", $"started pid {process.Id}");
    }

    /// <summary>Polls /healthz until it answers 200 (the web app initialised and the SMTP listener is up).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process is not { } process || process.HasExited)
            {
                throw new InvalidOperationException($"The portal process (generation {Generation}) exited before it was ready.");
            }

            try
            {
                using var response = await _http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode)
                {
                    Append(Generation, "test", "ready");
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The portal process (generation {Generation}) was not ready within {timeout}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Ingests <paramref name="mime"/> over this process's REST intake; throws unless it answers 201 Created.</summary>
    public Task<IngestedMessage> IngestAsync(byte[] mime, string query = "") => PortalIngest.IngestAsync(BaseUrl, ApiKey, mime, query);

    /// <summary>SIGKILL (what <see cref="Process.Kill()"/> sends on Linux); returns the exit code, 137 = 128 + SIGKILL.</summary>
    public int? Kill()
    {
        if (_process is not { } process || process.HasExited)
        {
            return null;
        }

        process.Kill();
        process.WaitForExit();
        Append(Generation, "test", $"killed, exit code {process.ExitCode}");
        return process.ExitCode;
    }

    /// <summary>SIGTERM and wait for a graceful stop (SIGKILL after the timeout). Returns the exit code.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (_process is not { } process || process.HasExited)
        {
            return null;
        }

        using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!)
        {
            await term.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Append(Generation, "test", "did not stop on SIGTERM; killing");
            process.Kill();
            process.WaitForExit();
        }

        Append(Generation, "test", $"stopped, exit code {process.ExitCode}");
        return process.ExitCode;
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnTestProcessExit;
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process?.Dispose();
        _http.Dispose();
    }

    private void OnTestProcessExit(object? sender, EventArgs e)
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Append(int generation, string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Append('[').Append(DateTime.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" #").Append(generation).Append(' ').Append(stream).Append("] ").AppendLine(line);
        }
    }
}
