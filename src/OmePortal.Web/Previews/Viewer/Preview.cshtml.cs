using System.Buffers.Binary;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Audit;
using OmePortal.Web.Portal;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Previews.Viewer;

/// <summary>One page of a preview as the viewer lists it; <see cref="Text"/> is its text layer, when it has one.</summary>
public sealed record PreviewPage(int Number, string Url, string? Text);

/// <summary>
/// The attachment viewer (<c>/messages/{id}/attachments/{index}/preview</c>): the pages of an attachment as
/// images rendered on the server, with a text layer for screen readers and search. Asks
/// <see cref="RecipientAccess"/> first and shows nothing for any answer but Granted. Under Do-Not-Forward
/// there is no download (the download itself refuses too), the images carry the reader's watermark
/// (<see cref="PreviewPagesEndpoint"/>), and the text layer is there only when the tenant's admin chose it
/// (<see cref="Tenant.DoNotForwardPreviewText"/>).
/// </summary>
public sealed class PreviewModel(
    RecipientAccess access,
    MessageReader reader,
    AttachmentPreviews previews,
    OmePortalDbContext db,
    AuditLog audit,
    PageBrands brands) : PageModel
{
    /// <summary>The size a page is laid out at before its image arrives (A4 portrait, as the renderer's usual page).</summary>
    private const int DefaultPageWidth = 1240;
    private const int DefaultPageHeight = 1754;

    public OmePortal.Web.Reading.Unavailable? Refusal { get; private set; }

    public Guid MessageId { get; private set; }

    public int Index { get; private set; }

    public AttachmentEntry? Attachment { get; private set; }

    public bool DoNotForward { get; private set; }

    /// <summary>The reader's address, for the watermark over a Do-Not-Forward text file.</summary>
    public string ReaderAddress { get; private set; } = string.Empty;

    public PreviewOutcome? Outcome { get; private set; }

    public IReadOnlyList<PreviewPage> Pages { get; private set; } = [];

    /// <summary>The whole text of a text file (<see cref="PreviewKind.Text"/>), shown escaped.</summary>
    public string? FileText { get; private set; }

    /// <summary>Whether the pages carry their text (always, except Do-Not-Forward without the admin's consent).</summary>
    public bool TextLayer { get; private set; }

    /// <summary>The pages have text that this Do-Not-Forward preview leaves out (the page says so).</summary>
    public bool TextWithheld => !TextLayer && Outcome is PreviewOutcome.Ready { HasText: true, Kind: not PreviewKind.Text };

    public int PageWidth { get; private set; } = DefaultPageWidth;

    public int PageHeight { get; private set; } = DefaultPageHeight;

    public string MessageUrl => ReadingEndpoints.MessageUrl(MessageId);

    public string DownloadUrl => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/messages/{MessageId}/attachments/{Index}");

    public async Task<IActionResult> OnGetAsync(Guid id, int index, int? page, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        MessageId = id;
        Index = index;
        var result = await access.DecideAsync(id, User, cancellationToken);
        PageBrandViewData.ShowBrand(this, brands.ForReader(result));
        switch (result.Decision)
        {
            case AccessDecision.Granted granted:
                var opened = await reader.OpenSummaryAsync(result, cancellationToken);
                if (opened is null)
                {
                    return Refuse(OmePortal.Web.Reading.Unavailable.For((await access.DecideAsync(id, User, cancellationToken)).Decision, id));
                }

                Attachment = opened.Model.Attachments.FirstOrDefault(a => a.Index == index && !BodyDocument.IsInlineImage(a, granted.Protection));
                if (Attachment is null)
                {
                    return Refuse(new OmePortal.Web.Reading.Unavailable(UnavailableKind.NotFound));
                }

                // "Go to page" without script: the same page, at that page's anchor.
                if (page is { } wanted)
                {
                    return Redirect(PreviewPagesEndpoint.PreviewUrl(id, index) + "#page-" + Math.Max(1, wanted).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                DoNotForward = granted.Protection == ProtectionLevel.DoNotForward;
                ReaderAddress = granted.Address;
                TextLayer = !DoNotForward || await db.Tenants.AsNoTracking()
                    .Where(t => t.Id == opened.Record.TenantId)
                    .Select(t => t.DoNotForwardPreviewText)
                    .SingleAsync(cancellationToken);
                Outcome = await previews.PrepareAsync(opened.Record, index, cancellationToken);
                if (Outcome is PreviewOutcome.Ready ready)
                {
                    // Like a download, a preview shows the attachment's content: the trace counts who saw it (the index, not the sender's file name).
                    await audit.RecordAsync(opened.Record.TenantId, AuditEventKind.AttachmentPreviewed, granted.Address, id, granted.RecipientId,
                        index.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
                    await LoadPagesAsync(opened.Record, ready, cancellationToken);
                }

                return Page();
            case AccessDecision.NeedsSignIn:
                return Redirect(ReadingEndpoints.SignInUrl(PreviewPagesEndpoint.PreviewUrl(id, index)));
            case var refused:
                return Refuse(OmePortal.Web.Reading.Unavailable.For(refused, id));
        }
    }

    private async Task LoadPagesAsync(MessageRecord record, PreviewOutcome.Ready ready, CancellationToken cancellationToken)
    {
        if (ready.Kind == PreviewKind.Text)
        {
            // A text file's text is its content, not a layer over images: shown whatever the protection (escaped, as text).
            FileText = await previews.ReadTextAsync(record, Index, 1, cancellationToken) ?? string.Empty;
            return;
        }

        if (ready.PagesRendered > 0)
        {
            await using var first = await previews.OpenPageAsync(record, Index, 1, cancellationToken);
            if (first is not null && await PngSizeAsync(first, cancellationToken) is { } size)
            {
                (PageWidth, PageHeight) = size;
            }
        }

        var texts = TextLayer && ready.HasText ? await previews.ReadTextsAsync(record, Index, cancellationToken) : [];
        var pages = new List<PreviewPage>(ready.PagesRendered);
        for (var number = 1; number <= ready.PagesRendered; number++)
        {
            pages.Add(new PreviewPage(number, PreviewPagesEndpoint.PageUrl(MessageId, Index, number), number <= texts.Count ? texts[number - 1] : null));
        }

        Pages = pages;
    }

    /// <summary>Width and height from a PNG's header (IHDR), so every page is laid out at its size before it loads.</summary>
    internal static async Task<(int Width, int Height)?> PngSizeAsync(Stream png, CancellationToken cancellationToken)
    {
        var header = new byte[24];
        var read = 0;
        while (read < header.Length)
        {
            var n = await png.ReadAsync(header.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return null;
            }

            read += n;
        }

        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
        if (!header.AsSpan(0, 8).SequenceEqual(signature) || !header.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            return null;
        }

        var width = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16));
        var height = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20));
        return width > 0 && height > 0 ? (width, height) : null;
    }

    private PageResult Refuse(OmePortal.Web.Reading.Unavailable refusal)
    {
        Refusal = refusal;
        Response.StatusCode = refusal.StatusCode;
        return Page();
    }
}
