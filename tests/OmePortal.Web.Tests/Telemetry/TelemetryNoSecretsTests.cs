using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using MimeKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OmePortal.Testing;
using OmePortal.Web.Telemetry;
using OmePortal.Web.Tests.Reading;
using OmePortal.Web.Tests.Smtp;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Telemetry;

/// <summary>
/// A message comes in over REST and one over SMTP, the recipient signs in with a passcode, reads the message and
/// downloads its attachment, all while every span, metric and log entry is captured; then everything exported is
/// searched for what must never be there: the messages' subject, body and attachment markers, the recipient's
/// address, the link tokens and the passcode (docs/ARCHITECTURE.md §14).
/// </summary>
public abstract partial class TelemetryNoSecretsTests(ITestOutputHelper output)
{
    static TelemetryNoSecretsTests()
    {
        // Asks EF's instrumentation to add parameter values to its spans: the portal's scrubber must remove them anyway.
        // (The parameters are among the stable database attributes, which come with the opt-in below.)
        Environment.SetEnvironmentVariable("OTEL_DOTNET_EXPERIMENTAL_EFCORE_ENABLE_TRACE_DB_QUERY_PARAMETERS", "true");
        Environment.SetEnvironmentVariable("OTEL_SEMCONV_STABILITY_OPT_IN", "database/dup");
    }

    protected abstract StorageKind Storage { get; }

    [Fact]
    public async Task IngestSignInReadDownload_ExportsNoContentAddressTokenOrPasscode()
    {
        var capture = new TelemetryCapture();
        await using var host = await new PortalHost(Storage, ReadingTestSupport.Settings) { ServiceOverrides = capture.Install }.StartAsync();
        var recipient = $"tele.{Guid.NewGuid():N}@example.nl";
        var markers = new[] { "SUBJ", "HTML", "TEXT", "ATTACH", "SMTPSUBJ", "SMTPHTML", "SMTPTEXT", "SMTPATTACH" }.Select(TestMessages.NewMarker).ToArray();

        var rest = await host.IngestAsync(TestMessages.WithMarkers(markers[0], markers[1], markers[2], markers[3], recipient));
        var smtpMessage = TestMessages.WithMarkers(markers[4], markers[5], markers[6], markers[7], recipient);
        using (var smtp = await SmtpTestSupport.ConnectAsync(host))
        {
            SmtpTestSupport.StoredIdFromReply(await smtp.SendAsync(smtpMessage));
            await smtp.DisconnectAsync(quit: true);
        }

        var outbox = await host.WaitForOutboxAsync(2);
        var smtpLink = OtherLink(outbox, rest.Link);

        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(host, rest.Link);
        var page = await reader.Http.GetAsync($"/messages/{rest.Id}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var index = ReadingTestSupport.AttachmentIndex(await page.Content.ReadAsStringAsync(), rest.Id, "figures.txt");
        Assert.Equal(HttpStatusCode.OK, (await reader.Http.GetAsync($"/messages/{rest.Id}/body")).StatusCode);
        var download = await reader.Http.GetAsync($"/messages/{rest.Id}/attachments/{index}");
        Assert.Contains(markers[3], await download.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotEqual(HttpStatusCode.NotFound, (await reader.Http.GetAsync(new Uri(smtpLink).PathAndQuery)).StatusCode);

        var passcodes = Passcodes(host.OutboxDirectory);
        Assert.NotEmpty(passcodes);
        var secrets = markers.Concat([recipient, rest.Recipients[0].Token, new IngestedRecipient(recipient, smtpLink).Token]).Concat(passcodes).ToList();

        // Control: what the scan reads comes from the host's own pipeline, and a planted secret is found.
        var planted = TestMessages.NewMarker("PLANTED");
        host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OmePortal.Control").LogDebug("control {Value}", planted + "-log");
        using (var control = PortalActivities.Source.StartActivity("control"))
        {
            control?.SetTag("control", planted + "-span");
        }

        var exported = capture.Exported(host.Services);
        var plantedFound = TelemetryCapture.Find(exported, [planted]);
        Assert.Contains(plantedFound, f => f.Contains(planted + "-log", StringComparison.Ordinal));
        Assert.Contains(plantedFound, f => f.Contains(planted + "-span", StringComparison.Ordinal));

        // What was captured is the run itself: HTTP spans by route, the SMTP session and message, database spans, the portal's metrics.
        var spans = exported.Where(e => e.Where.StartsWith("span ", StringComparison.Ordinal)).ToList();
        Assert.Contains(spans, s => s.Text == "http.route=/m/{token}" || s.Text == "http.route=m/{token}");
        Assert.Contains(spans, s => s.Text == "smtp.session");
        Assert.Contains(spans, s => s.Text == "smtp.message");
        Assert.Contains(spans, s => s.Text.StartsWith("db.", StringComparison.Ordinal));
        Assert.Contains(exported, e => e.Where == "metric omeportal.messages.accepted" && e.Text == "channel=smtp");
        Assert.Contains(exported, e => e.Where == "metric omeportal.signins" && e.Text == "method=passcode");
        Assert.DoesNotContain(spans, s => s.Text.StartsWith("db.query.parameter.", StringComparison.Ordinal));

        var leaks = TelemetryCapture.Find(exported, secrets);
        output.WriteLine($"Scanned {exported.Count} exported texts for {secrets.Count} secrets.");
        foreach (var leak in leaks.Take(20))
        {
            output.WriteLine(leak);
        }

        Assert.Empty(leaks);
    }

    /// <summary>The link of the one notification in the outbox that is not for <paramref name="other"/> (the SMTP message's).</summary>
    private static string OtherLink(IEnumerable<string> outbox, string other) =>
        outbox.Select(f =>
        {
            using var mail = MimeMessage.Load(f);
            return LinkPattern().Match(mail.TextBody ?? mail.HtmlBody ?? string.Empty).Value;
        }).Single(link => link.Length > 0 && link != other);

    private static List<string> Passcodes(string outboxDirectory) =>
        [.. Directory.GetFiles(outboxDirectory, "*.eml")
            .Select(f => { using var m = MimeMessage.Load(f); return m.Headers["X-OmePortal-Mail-Kind"] == "passcode" ? EightDigits().Match(m.TextBody ?? string.Empty).Value : null; })
            .OfType<string>().Where(c => c.Length == 8)];

    [GeneratedRegex(@"https?://[^\s""<>]+/m/[A-Za-z0-9_\-]+")]
    private static partial Regex LinkPattern();

    [GeneratedRegex("(?<!\\d)\\d{8}(?!\\d)")]
    private static partial Regex EightDigits();
}

public sealed class TelemetryNoSecretsSqliteTests(ITestOutputHelper output) : TelemetryNoSecretsTests(output)
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class TelemetryNoSecretsPostgresTests(ITestOutputHelper output) : TelemetryNoSecretsTests(output)
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
