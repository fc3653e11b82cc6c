using System.Security.Cryptography;
using System.Text.Json;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Intake;

/// <summary>
/// Charset decoding in a process that has parsed nothing else yet. In the test process some library
/// registers .NET's code-page encodings sooner or later, which hid that the portal itself did not: the
/// first ISO-8859-15 message of a fresh portal had its euro sign stored as "¤". So this test runs the
/// real portal as its own process and makes that message its very first one.
/// </summary>
public sealed class FreshProcessCharsetTests : IDisposable
{
    private readonly string _root = TestEnvironment.NewTempDirectory("omeportal-charset");
    private PortalProcess? _portal;

    [Fact]
    public async Task FirstMessageOfAFreshPortal_InIso885915_KeepsItsEuroSign()
    {
        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(_root, "work")).FullName;
        var apiKey = "omp_charset_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        _portal = new PortalProcess(data, TestEnvironment.FreePort(), TestEnvironment.FreePort(), apiKey, work);
        _portal.Start();
        await _portal.WaitReadyAsync(TimeSpan.FromSeconds(45));
        var baseUrl = $"http://127.0.0.1:{_portal.HttpPort}";

        using var created = await PortalIngest.PostAsync(baseUrl, apiKey, PortalIngest.Sample("02-plain-latin9-card-number.eml"));
        Assert.True(created.IsSuccessStatusCode, $"{(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}\n{_portal.Log}");
        var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var id = json.GetProperty("id").GetGuid();

        using var reader = await new RecipientBrowserlessClient(baseUrl, Path.Combine(data, "outbox"))
            .SignInFromLinkAsync(json.GetProperty("recipients")[0].GetProperty("link").GetString()!);
        var body = await reader.Http.GetStringAsync($"/messages/{id}/body");

        Assert.Contains("Saldo: € 1.234,56", body, StringComparison.Ordinal);
        Assert.DoesNotContain("¤", body, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _portal?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
