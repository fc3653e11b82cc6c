using System.Diagnostics;
using OmePortal.Testing;
using OmePortal.Web.Previews;
using Xunit.Abstractions;
using static OmePortal.Web.Tests.Previews.PreviewTestSupport;

namespace OmePortal.Web.Tests.Previews;

/// <summary>
/// Office documents through the real LibreOffice (issue 23, items 1 and 2): Word and Excel become page images
/// with their text, and a document whose macro would touch a file when opened is converted without the macro
/// running. LibreOffice takes seconds to start, so the class converts only these three, on one shared portal.
/// </summary>
public sealed class OfficePreviewTests(OfficePreviewTests.Host shared, ITestOutputHelper output) : IClassFixture<OfficePreviewTests.Host>
{
    private readonly PortalHost _host = shared.Host;
    private readonly string _work = shared.WorkDirectory;

    public sealed class Host : SharedPortalHost
    {
        public string WorkDirectory { get; } = TestEnvironment.NewTempDirectory("omeportal-previews");

        protected override StorageKind Storage => StorageKind.Sqlite;

        protected override IDictionary<string, string?>? Settings => PreviewTestSupport.Settings(WorkDirectory);
    }

    [Fact]
    public async Task Docx_IsConvertedToPdf_ThenRenderedWithItsText()
    {
        var marker = TestMessages.NewMarker("WORDMARK");
        await AssertRenderedAsync("Letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", OfficeDocuments.Docx($"Dear reader {marker}"), marker);
    }

    [Fact]
    public async Task Xlsx_IsConvertedToPdf_ThenRenderedWithItsText()
    {
        var marker = TestMessages.NewMarker("CELLMARK");
        await AssertRenderedAsync("Budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", OfficeDocuments.Xlsx(marker), marker);
    }

    [Fact]
    public async Task DocumentWithAMacroOnOpen_IsRendered_AndTheMacroNeverRuns()
    {
        var sideEffect = Path.Combine(TestEnvironment.NewTempDirectory("omeportal-macro"), "macro-ran");
        var marker = TestMessages.NewMarker("MACROMARK");

        await AssertRenderedAsync("Invoice.odt", "application/vnd.oasis.opendocument.text", OfficeDocuments.OdtWithOpenMacro($"Invoice {marker}", sideEffect), marker);

        Assert.False(File.Exists(sideEffect), "the document's macro ran during the conversion");
    }

    private async Task AssertRenderedAsync(string name, string contentType, byte[] document, string marker)
    {
        var message = await _host.IngestAsync(TestDocuments.Message(Recipient, (name, contentType, document)));
        var clock = Stopwatch.StartNew();

        var outcome = await PrepareAsync(_host, message.Id, 0);

        output.WriteLine($"{name}: {outcome} after {clock.Elapsed}");
        Assert.Equal(new PreviewOutcome.Ready(1, 1, PreviewKind.Office, true), outcome);
        var (width, height) = PngSize((await PageAsync(_host, message.Id, 0, 1))!);
        Assert.True(Math.Max(width, height) <= 1600, $"{width}x{height}");
        Assert.Contains(marker, await TextAsync(_host, message.Id, 0, 1), StringComparison.Ordinal);
        Assert.Empty(ProcessesMentioning(_work));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work));
    }
}
