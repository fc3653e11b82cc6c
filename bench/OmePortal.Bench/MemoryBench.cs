using System.Net;
using System.Net.Http.Headers;

namespace OmePortal.Bench;

/// <summary>
/// (d) Peak extra memory of the portal process while it ingests one 25 MB message over REST:
/// the kernel's peak-RSS counter is reset after warm-up, then read after the 201.
/// </summary>
public static class MemoryBench
{
    public static async Task RunAsync(Report report, BenchOptions options)
    {
        await using var portal = await PortalProcess.StartAsync(options.WebDll!);
        using var client = new HttpClient { BaseAddress = new Uri(portal.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", portal.ApiKey);

        async Task PostAsync(byte[] bytes)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            using var response = await client.PostAsync("/api/v1/messages", content);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"Ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        // Warm up every code path with a small message, then let the process settle.
        for (var i = 0; i < 20; i++)
        {
            await PostAsync(BenchMessages.Twenty(i));
        }

        await Task.Delay(2000);
        var message = BenchMessages.Large(25 * 1024 * 1024);
        portal.ResetPeak();
        var baseline = portal.ResidentBytes();
        await PostAsync(message);
        await Task.Delay(1000); // the notification for it is composed and written too
        var peak = portal.PeakResidentBytes();
        var extra = peak - baseline;

        report.Line("## (d) Peak extra memory for one 25 MB message (REST ingest, process RSS)");
        report.Line();
        report.Line($"message {message.Length / (1024.0 * 1024):F1} MB; RSS before {baseline / (1024.0 * 1024):F0} MB, peak {peak / (1024.0 * 1024):F0} MB: " +
                    $"**extra {extra / (1024.0 * 1024):F0} MB = {(double)extra / message.Length:F2}× the message** (target < 2×).");
        report.Line();
    }
}
