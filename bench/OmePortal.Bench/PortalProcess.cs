using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace OmePortal.Bench;

/// <summary>The real portal as a separate Release process on loopback, with its own data directory.</summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;

    private PortalProcess(Process process, string data, int httpPort, int smtpPort, string apiKey)
    {
        _process = process;
        DataDirectory = data;
        HttpPort = httpPort;
        SmtpPort = smtpPort;
        ApiKey = apiKey;
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int SmtpPort { get; }

    public string ApiKey { get; }

    public int Pid => _process.Id;

    public string BaseUrl => $"http://127.0.0.1:{HttpPort}";

    /// <summary>Starts a node; <paramref name="environment"/> adds or overrides settings (shared engines, a shared master key).</summary>
    public static async Task<PortalProcess> StartAsync(string webDll, IReadOnlyDictionary<string, string>? environment = null, string? apiKey = null)
    {
        var data = Path.Combine(Path.GetTempPath(), $"omeportal-bench-{Guid.NewGuid():N}");
        var httpPort = FreePort();
        var smtpPort = FreePort();
        apiKey ??= "omp_bench_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("dotnet", [webDll])
        {
            WorkingDirectory = Path.GetDirectoryName(webDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["OmePortal__DataDirectory"] = data;
        start.Environment["OmePortal__Smtp__Port"] = smtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OmePortal__Bootstrap__ApiKey"] = apiKey;
        start.Environment["OmePortal__PublicBaseUrl"] = $"http://127.0.0.1:{httpPort}";
        // Production's guards, relaxed for a throwaway bench directory: the bench mail comes from contoso.test, the
        // key may sit beside the data, and notification mail goes to the pickup directory.
        start.Environment["OmePortal__Bootstrap__AcceptedDomains__0"] = "contoso.test";
        start.Environment["OmePortal__Vault__AllowKeyInDataDirectory"] = "true";
        start.Environment["OmePortal__Notifications__AllowPickupInProduction"] = "true";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;

        // Interrupted (Ctrl-C, or SIGTERM from pkill during a --hold), the bench must not leave the portal running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillQuietly(process);
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP })
        {
            Signals.Add(PosixSignalRegistration.Create(signal, _ => KillQuietly(process)));
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[portal] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var portal = new PortalProcess(process, data, httpPort, smtpPort, apiKey);
        using var client = new HttpClient();
        // Generous: on a 2-core machine shared with builds a Release portal has taken over a minute to start.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(portal.BaseUrl + "/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return portal;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        await portal.DisposeAsync();
        throw new TimeoutException("The portal did not start.");
    }

    // Kept alive for the life of the bench: a collected registration stops handling its signal.
    private static readonly List<PosixSignalRegistration> Signals = [];

    private static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone, or disposed after a normal end.
        }
    }

    /// <summary>CPU time the portal has used so far, user and kernel: on a busy machine a steadier measure than its rate.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>Peak resident memory since the last reset (VmHWM), in bytes.</summary>
    public long PeakResidentBytes() => ReadStatus("VmHWM:");

    public long ResidentBytes() => ReadStatus("VmRSS:");

    /// <summary>Resets the kernel's peak-RSS counter for the process (writes 5 to /proc/PID/clear_refs).</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{Pid}/clear_refs", "5");

    private long ReadStatus(string field)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        var kb = long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return kb * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
