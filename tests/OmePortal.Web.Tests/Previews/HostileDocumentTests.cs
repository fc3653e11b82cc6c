using System.Diagnostics;
using System.Globalization;
using System.Net;
using OmePortal.Testing;
using OmePortal.Web.Previews;
using Xunit.Abstractions;
using static OmePortal.Web.Tests.Previews.PreviewTestSupport;

namespace OmePortal.Web.Tests.Previews;

/// <summary>
/// The hostile documents of issue 23, item 2, against the real poppler tools: each ends within the limits,
/// no converter process outlives its conversion, no workspace is left behind, and the portal answers other
/// requests while a converter is stuck. The class shares one portal with a short converter time limit and a
/// single conversion slot (so a stuck converter holds the only one, the worst case for "stays responsive"), and
/// small pages.
/// </summary>
public sealed class HostileDocumentTests(HostileDocumentTests.Host shared, ITestOutputHelper output) : IClassFixture<HostileDocumentTests.Host>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(8);

    /// <summary>Small pages, so that fifty of them render well within <see cref="Limit"/> on a busy machine.</summary>
    private const int PageSide = 600;

    private readonly PortalHost _host = shared.Host;
    private readonly string _work = shared.WorkDirectory;

    public sealed class Host : SharedPortalHost
    {
        public string WorkDirectory { get; } = TestEnvironment.NewTempDirectory("omeportal-previews");

        protected override StorageKind Storage => StorageKind.Sqlite;

        protected override IDictionary<string, string?>? Settings => PreviewTestSupport.Settings(
            WorkDirectory, ("ConverterTimeout", Limit.ToString()), ("MaxConcurrentConversions", "1"), ("MaxPageSidePixels", PageSide.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task DecompressionBomb_IsKilledAtTheTimeLimit_AndCannotBePreviewed()
    {
        await AssertCannotPreviewWithinLimitAsync("bomb.pdf", TestDocuments.ImageBomb());
    }

    [Fact]
    public async Task DocumentThatNeverFinishesRendering_IsKilled_WhileThePortalKeepsAnswering()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("endless.pdf", "application/pdf", TestDocuments.EndlessRender())));
        var clock = Stopwatch.StartNew();
        var preparing = PrepareAsync(_host, message.Id, 0);

        // While the converter spins (holding the node's only conversion slot), pages are still served.
        await WaitUntilAsync(() => ProcessesMentioning(_work).Count > 0, TimeSpan.FromSeconds(5));
        using var client = _host.CreateHttpClient();
        for (var i = 0; i < 3; i++)
        {
            var answered = Stopwatch.StartNew();
            using var response = await client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(answered.Elapsed < TimeSpan.FromSeconds(2), $"/healthz took {answered.Elapsed} during a conversion");
            Assert.False(preparing.IsCompleted, "the converter should still be running");
        }

        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview), await preparing);
        output.WriteLine($"ended after {clock.Elapsed}");
        Assert.True(clock.Elapsed < Limit + TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        AssertNothingLeft();
    }

    [Fact]
    public async Task HundredThousandPages_FirstFiftyAreRendered_AndTheTotalIsKnown()
    {
        var pdf = TestDocuments.ManyPages(100_000);
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("many.pdf", "application/pdf", pdf)));
        var clock = Stopwatch.StartNew();

        var outcome = await PrepareAsync(_host, message.Id, 0);

        output.WriteLine($"{pdf.Length} bytes, prepared in {clock.Elapsed}");
        Assert.Equal(new PreviewOutcome.Ready(50, 100_000, PreviewKind.Pdf, true), outcome);
        Assert.NotNull(await PageAsync(_host, message.Id, 0, 50));
        Assert.Null(await PageAsync(_host, message.Id, 0, 51));
        AssertNothingLeft();
    }

    [Fact]
    public async Task PageOfAbsurdSize_IsRenderedWithinThePixelCap()
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, ("huge.pdf", "application/pdf", TestDocuments.HugePage())));

        Assert.Equal(new PreviewOutcome.Ready(1, 1, PreviewKind.Pdf, true), await PrepareAsync(_host, message.Id, 0));

        var (width, height) = PngSize((await PageAsync(_host, message.Id, 0, 1))!);
        Assert.Equal(PageSide, Math.Max(width, height));
        AssertNothingLeft();
    }

    [Fact]
    public async Task CorruptPdf_CannotBePreviewed()
    {
        await AssertCannotPreviewWithinLimitAsync("broken.pdf", TestDocuments.CorruptPdf());
    }

    private async Task AssertCannotPreviewWithinLimitAsync(string name, byte[] document)
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, (name, "application/pdf", document)));
        var clock = Stopwatch.StartNew();

        var outcome = await PrepareAsync(_host, message.Id, 0);

        output.WriteLine($"{name}: {outcome} after {clock.Elapsed}");
        Assert.Equal(new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview), outcome);
        Assert.True(clock.Elapsed < Limit + TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Null(await PageAsync(_host, message.Id, 0, 1));
        AssertNothingLeft();
    }

    private void AssertNothingLeft()
    {
        Assert.Empty(ProcessesMentioning(_work));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true in time");
            await Task.Delay(50);
        }
    }
}
