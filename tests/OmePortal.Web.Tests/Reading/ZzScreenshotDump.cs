using System.Text.RegularExpressions;
using OmePortal.Testing;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Reading;

// TEMPORARY: dumps pages with inlined CSS for a visual check. Deleted before hand-off.
public sealed class ZzScreenshotDump
{
    [Fact]
    public async Task Dump()
    {
        await using var host = await new PortalHost(StorageKind.Sqlite, Settings).StartAsync();
        var m = await IngestSampleAsync(host, "01-dutch-policy-inline-logo-pdf.eml", "?protection=DoNotForward");
        var m2 = await IngestAsync(host, Readdressed("05-html-only-remote-images-tracking.eml", "jan.devries@example.nl"));
        var m3 = await IngestAsync(host, Readdressed("04-large-attachment-unicode-filename.eml", "jan.devries@example.nl"));
        using var c = await RecipientBrowserlessClient.SignInFromLinkAsync(host, m.Link);
        using var anon = host.CreateHttpClient();
        var css = await anon.GetStringAsync("/css/site.css") + await anon.GetStringAsync("/css/reading.css");
        foreach (var (name, path) in new[] { ("inbox", "/inbox"), ("dnf", $"/messages/{m.Id}"), ("remote", $"/messages/{m2.Id}"), ("att", $"/messages/{m3.Id}") })
        {
            var html = await c.Http.GetStringAsync(path);
            html = Regex.Replace(html, "<link rel=\"stylesheet\" href=\"/css/reading-print[^>]*>", "");
            html = Regex.Replace(html, "<link rel=\"stylesheet\"[^>]*>", "<style>" + css + "</style>");
            await File.WriteAllTextAsync($"/tmp/readshots/{name}.html", html);
        }
        var frame = await c.Http.GetStringAsync($"/messages/{m.Id}/body");
        await File.WriteAllTextAsync("/tmp/readshots/frame.html", frame);
    }
}
