using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Previews;

/// <summary>A document turned into page images (PNG files in the workspace) and, where it has one, text per page.</summary>
internal sealed record ConvertedPreview(PreviewKind Kind, int TotalPages, IReadOnlyList<string> PageFiles, IReadOnlyList<string>? PageTexts);

/// <summary>What a conversion came to.</summary>
internal abstract record ConversionResult
{
    private ConversionResult() { }

    public sealed record Converted(ConvertedPreview Preview) : ConversionResult;

    /// <summary>The document broke a limit or the converter failed (<paramref name="Why"/> is for the log, never for the reader).</summary>
    public sealed record Failed(string Why) : ConversionResult;
}

/// <summary>Which converters this node has, found once at start.</summary>
internal sealed record PreviewTools(bool Poppler, bool Office)
{
    public bool Supports(PreviewKind kind) => kind switch
    {
        PreviewKind.Pdf => Poppler,
        PreviewKind.Office => Office && Poppler,
        PreviewKind.Image or PreviewKind.Text => true,
        _ => false,
    };
}

/// <summary>
/// Turns one decrypted attachment in its private workspace into page images and text: PDF with poppler
/// (<c>pdfinfo</c> for the page count, <c>pdftoppm</c> for at most <see cref="PreviewOptions.MaxPages"/> pages,
/// each scaled so its longest side is <see cref="PreviewOptions.MaxPageSidePixels"/>, so a page that claims a
/// huge size costs no more than any other; <c>pdftotext</c> for the text), Office documents through
/// LibreOffice to PDF first (a fresh profile per document, macros disabled in it), images re-encoded in
/// process, text decoded with a cap. Conversions on this node are limited by one semaphore, and one
/// attachment is converted by one request at a time (<see cref="LockAttachmentAsync"/>).
/// </summary>
public sealed class PreviewConverter : IDisposable
{
    private const int AttachmentLockStripes = 64;

    private readonly PreviewOptions _options;
    private readonly ILogger<PreviewConverter> _logger;
    private readonly SemaphoreSlim _conversions;
    private readonly SemaphoreSlim[] _attachmentLocks = Enumerable.Range(0, AttachmentLockStripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public PreviewConverter(IOptions<PreviewOptions> options, ILogger<PreviewConverter> logger)
    {
        _options = options.Value;
        _logger = logger;
        _conversions = new SemaphoreSlim(_options.MaxConcurrentConversions, _options.MaxConcurrentConversions);
        var sandbox = IsExecutable(_options.PrlimitPath) && IsExecutable(_options.SetsidPath);
        var poppler = _options.Enabled && sandbox && IsExecutable(_options.PdfToPpmPath) && IsExecutable(_options.PdfInfoPath) && IsExecutable(_options.PdfToTextPath);
        Tools = new PreviewTools(poppler, poppler && IsExecutable(_options.SofficePath));
        logger.LogInformation(
            "Attachment previews: PDF {Pdf}, Office documents {Office}.",
            Tools.Poppler ? "on" : "off (poppler's pdftoppm, pdfinfo, pdftotext, or prlimit/setsid not found)",
            Tools.Office ? "on" : "off (LibreOffice's soffice not found)");
        PreviewWorkspace.RemoveAbandoned(_options, TimeSpan.FromHours(1), logger);
    }

    internal PreviewTools Tools { get; }

    internal PreviewOptions Options => _options;

    /// <summary>Waits until no other request on this node converts the same attachment; dispose the result to let the next in.</summary>
    public async Task<IDisposable> LockAttachmentAsync(Guid messageId, int attachmentIndex, CancellationToken cancellationToken)
    {
        var stripe = _attachmentLocks[(int)((uint)HashCode.Combine(messageId, attachmentIndex) % AttachmentLockStripes)];
        await stripe.WaitAsync(cancellationToken);
        return new Release(stripe);
    }

    /// <summary>Converts the document at <paramref name="sourcePath"/> (inside <paramref name="workspace"/>), waiting for a conversion slot first.</summary>
    internal async Task<ConversionResult> ConvertAsync(PreviewKind kind, string sourcePath, PreviewWorkspace workspace, Encoding? textEncoding, CancellationToken cancellationToken)
    {
        await _conversions.WaitAsync(cancellationToken);
        try
        {
            return kind switch
            {
                PreviewKind.Pdf => await RenderPdfAsync(PreviewKind.Pdf, sourcePath, workspace, cancellationToken),
                PreviewKind.Office => await ConvertOfficeAsync(sourcePath, workspace, cancellationToken),
                PreviewKind.Image => ConvertImage(sourcePath, workspace, cancellationToken),
                PreviewKind.Text => await ReadTextAsync(sourcePath, textEncoding, cancellationToken),
                _ => new ConversionResult.Failed("unknown kind"),
            };
        }
        finally
        {
            _conversions.Release();
        }
    }

    private async Task<ConversionResult> RenderPdfAsync(PreviewKind kind, string pdf, PreviewWorkspace workspace, CancellationToken cancellationToken)
    {
        var limits = new ConverterLimits(_options.ConverterTimeout, _options.ConverterMemoryMegabytes, _options.MaxOutputFileMegabytes);
        var info = await ConverterProcess.RunAsync(_options, _options.PdfInfoPath, [pdf], workspace, limits, cancellationToken);
        if (info is not ConverterExit.Exited { ExitCode: 0 } infoExit)
        {
            return Failed("pdfinfo", info);
        }

        var totalPages = PageCount(infoExit.Output);
        if (totalPages < 1)
        {
            return new ConversionResult.Failed("pdfinfo reported no pages");
        }

        var rendered = Math.Min(totalPages, _options.MaxPages);
        var prefix = Path.Combine(workspace.OutputPath, "page");
        var last = rendered.ToString(CultureInfo.InvariantCulture);

        // Text and pages at once: the text run is short and mostly waits on the same file reads.
        var textFile = Path.Combine(workspace.TempPath, "text.txt");
        var rendering = ConverterProcess.RunAsync(
            _options,
            _options.PdfToPpmPath,
            ["-png", "-scale-to", _options.MaxPageSidePixels.ToString(CultureInfo.InvariantCulture), "-f", "1", "-l", last, pdf, prefix],
            workspace,
            limits,
            cancellationToken);
        var extracting = ConverterProcess.RunAsync(
            _options, _options.PdfToTextPath, ["-enc", "UTF-8", "-f", "1", "-l", last, pdf, textFile], workspace, limits, cancellationToken);
        var render = await rendering;
        var text = await extracting;
        if (render is not ConverterExit.Exited { ExitCode: 0 })
        {
            return Failed("pdftoppm", render);
        }

        var pages = PageFiles(workspace.OutputPath, rendered);
        if (pages is null)
        {
            return new ConversionResult.Failed("pdftoppm did not write every page, or wrote a page beyond the pixel cap");
        }

        IReadOnlyList<string>? texts = null;
        if (text is ConverterExit.Exited { ExitCode: 0 } && File.Exists(textFile))
        {
            texts = SplitPages(await ReadCappedTextAsync(textFile, rendered, cancellationToken), rendered);
        }
        else
        {
            _logger.LogInformation("pdftotext gave no text layer: {Why}", Describe(text));
        }

        return new ConversionResult.Converted(new ConvertedPreview(kind, totalPages, pages, texts));
    }

    private async Task<ConversionResult> ConvertOfficeAsync(string source, PreviewWorkspace workspace, CancellationToken cancellationToken)
    {
        var profile = Path.Combine(workspace.HomePath, "libreoffice");
        WriteLockedDownProfile(profile);
        var pdfDirectory = Path.Combine(workspace.TempPath, "pdf");
        PreviewWorkspace.CreatePrivateDirectory(pdfDirectory);
        var convert = await ConverterProcess.RunAsync(
            _options,
            _options.SofficePath,
            [
                "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck", "--nofirststartwizard",
                "-env:UserInstallation=" + new Uri(profile + "/").AbsoluteUri,
                "--convert-to", "pdf", "--outdir", pdfDirectory, source,
            ],
            workspace,
            new ConverterLimits(_options.OfficeTimeout, _options.OfficeMemoryMegabytes, _options.MaxOutputFileMegabytes),
            cancellationToken);
        var pdf = Path.Combine(pdfDirectory, Path.GetFileNameWithoutExtension(source) + ".pdf");
        if (convert is not ConverterExit.Exited { ExitCode: 0 } || !File.Exists(pdf))
        {
            return Failed("soffice", convert);
        }

        return await RenderPdfAsync(PreviewKind.Office, pdf, workspace, cancellationToken);
    }

    /// <summary>
    /// A fresh LibreOffice profile with macros off: the highest macro security level (only signed macros from
    /// trusted locations, and none are trusted) and macro execution disabled outright, so a document's macros
    /// never run, whatever the installation's defaults are. Nothing of it outlives the workspace.
    /// </summary>
    private static void WriteLockedDownProfile(string profile)
    {
        var user = Path.Combine(profile, "user");
        PreviewWorkspace.CreatePrivateDirectory(user);
        const string Settings = """
            <?xml version="1.0" encoding="UTF-8"?>
            <oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
            <item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
            <item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
            <item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
            <item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
            </oor:items>
            """;
        File.WriteAllText(Path.Combine(user, "registrymodifications.xcu"), Settings);
    }

    private ConversionResult ConvertImage(string source, PreviewWorkspace workspace, CancellationToken cancellationToken)
    {
        var page = Path.Combine(workspace.OutputPath, "page-1.png");
        using (var output = workspace.CreateFile(Path.Combine("out", "page-1.png")))
        {
            if (!ImagePreview.TryReencode(source, output, _options, cancellationToken))
            {
                return new ConversionResult.Failed("the image is too large or does not decode");
            }
        }

        return new ConversionResult.Converted(new ConvertedPreview(PreviewKind.Image, 1, [page], null));
    }

    /// <summary>
    /// A text file, decoded with its declared charset; without one, as UTF-8 when it is valid UTF-8 and as
    /// Latin-1 otherwise (the usual charset of undeclared 8-bit mail text), so no byte is lost to U+FFFD.
    /// </summary>
    private async Task<ConversionResult> ReadTextAsync(string source, Encoding? declared, CancellationToken cancellationToken)
    {
        var encoding = declared ?? (IsUtf8(source, (long)_options.MaxTextCharsPerPage * 4) ? new UTF8Encoding(false, false) : Encoding.Latin1);
        using var reader = new StreamReader(source, encoding, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[_options.MaxTextCharsPerPage];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await reader.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return new ConversionResult.Converted(new ConvertedPreview(PreviewKind.Text, 1, [], [new string(buffer, 0, total)]));
    }

    /// <summary>Whether the first <paramref name="limit"/> bytes are valid UTF-8 (a sequence cut at the limit counts as valid).</summary>
    private static bool IsUtf8(string path, long limit)
    {
        var bytes = new byte[(int)Math.Min(new FileInfo(path).Length, limit)];
        using (var file = File.OpenRead(path))
        {
            file.ReadExactly(bytes);
        }

        var span = bytes.AsSpan();
        var status = System.Text.Unicode.Utf8.ToUtf16(span, new char[span.Length], out var read, out _, replaceInvalidSequences: false, isFinalBlock: false);
        return status is System.Buffers.OperationStatus.Done or System.Buffers.OperationStatus.NeedMoreData && read >= span.Length - 3;
    }

    /// <summary>The page images pdftoppm wrote (named page-N, page-0N, ... by the width of the last page number), in page order; null if one is missing or too large.</summary>
    private string[]? PageFiles(string directory, int rendered)
    {
        var byPage = new Dictionary<int, string>();
        foreach (var file in Directory.EnumerateFiles(directory, "page-*.png"))
        {
            var number = Path.GetFileNameWithoutExtension(file)["page-".Length..];
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var page))
            {
                byPage[page] = file;
            }
        }

        var pages = new string[rendered];
        for (var page = 1; page <= rendered; page++)
        {
            if (!byPage.TryGetValue(page, out var file) || !WithinPixelCap(file))
            {
                return null;
            }

            pages[page - 1] = file;
        }

        return pages;
    }

    /// <summary>Reads a PNG's size from its IHDR: a converter's output is checked, not trusted.</summary>
    private bool WithinPixelCap(string png)
    {
        Span<byte> header = stackalloc byte[24];
        using var file = File.OpenRead(png);
        if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
            || !header[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return false;
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(header[16..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(header[20..]);
        return width is > 0 && height is > 0 && Math.Max(width, height) <= _options.MaxPageSidePixels + 1;
    }

    /// <summary>Reads pdftotext's output, keeping at most the per-page cap times the pages (a page of text can be huge).</summary>
    private async Task<string> ReadCappedTextAsync(string file, int pages, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(file, new UTF8Encoding(false, false));
        var cap = (long)_options.MaxTextCharsPerPage * pages;
        var buffer = new StringBuilder();
        var chunk = new char[16384];
        int read;
        while (buffer.Length < cap && (read = await reader.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Append(chunk, 0, (int)Math.Min(read, cap - buffer.Length));
        }

        return buffer.ToString();
    }

    /// <summary>pdftotext ends every page with a form feed.</summary>
    private string[] SplitPages(string text, int pages)
    {
        var parts = text.Split('\f');
        var result = new string[pages];
        for (var i = 0; i < pages; i++)
        {
            var page = i < parts.Length ? parts[i] : string.Empty;
            result[i] = page.Length > _options.MaxTextCharsPerPage ? page[.._options.MaxTextCharsPerPage] : page;
        }

        return result;
    }

    private static int PageCount(string pdfinfoOutput)
    {
        foreach (var line in pdfinfoOutput.Split('\n'))
        {
            if (line.StartsWith("Pages:", StringComparison.Ordinal)
                && int.TryParse(line["Pages:".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
            {
                return pages;
            }
        }

        return 0;
    }

    private ConversionResult.Failed Failed(string tool, ConverterExit exit)
    {
        var why = $"{tool}: {Describe(exit)}";
        _logger.LogInformation("An attachment could not be previewed: {Why}", why);
        return new ConversionResult.Failed(why);
    }

    private static string Describe(ConverterExit exit) => exit switch
    {
        ConverterExit.Killed => "killed after its time limit",
        ConverterExit.Exited exited => $"exit code {exited.ExitCode}: {exited.Errors[..Math.Min(exited.Errors.Length, 300)]}",
        _ => "unknown",
    };

    private static bool IsExecutable(string path) =>
        !OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    public void Dispose()
    {
        _conversions.Dispose();
        foreach (var stripe in _attachmentLocks)
        {
            stripe.Dispose();
        }
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
