using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Audit;

namespace OmePortal.Web.Reading;

/// <summary>
/// "Download all": every attachment the message page lists as a file, in one zip streamed straight from
/// the decrypted original (each part decoded on its way into the archive, nothing buffered whole). The
/// same access decision and refusals as a single download (<see cref="AttachmentModel"/>): Do-Not-Forward
/// is refused on the server, and each file is audited as a download, in the same words as a single one.
/// </summary>
public sealed class AttachmentsZipModel(RecipientAccess access, MessageReader reader, AuditLog audit, OmePortalDbContext db, OmePortal.Web.Portal.PageBrands brands) : PageModel
{
    public const string FileName = "attachments.zip";

    public Unavailable Refusal { get; private set; } = new(UnavailableKind.NotFound);

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        var result = await access.DecideAsync(id, User, cancellationToken);
        OmePortal.Web.Portal.PageBrandViewData.ShowBrand(this, brands.ForReader(result));
        switch (result.Decision)
        {
            case AccessDecision.Granted { Protection: ProtectionLevel.DoNotForward }:
                return Refuse(new Unavailable(UnavailableKind.DownloadRefused, MessageId: id));
            case AccessDecision.Granted granted:
                var opened = await reader.OpenSummaryAsync(result, cancellationToken);
                if (opened is null)
                {
                    return Refuse(Unavailable.For((await access.DecideAsync(id, User, cancellationToken)).Decision, id));
                }

                List<AttachmentEntry> files = [.. Files(opened.Model, granted.Protection)];
                if (files.Count == 0)
                {
                    return Refuse(new Unavailable(UnavailableKind.NotFound));
                }

                var content = await reader.OpenContentAsync(opened, cancellationToken);
                if (content is null)
                {
                    return Refuse(Unavailable.For((await access.DecideAsync(id, User, cancellationToken)).Decision, id));
                }

                await using (content)
                {
                    // Audited before the first byte leaves, as a single download is: one event per file, by index
                    // (the message trace counts downloads by these events), all stored together.
                    foreach (var file in files)
                    {
                        audit.Add(opened.Record.TenantId, AuditEventKind.AttachmentDownloaded, granted.Address, id, granted.RecipientId,
                            file.Index.ToString(CultureInfo.InvariantCulture) + " zip");
                    }

                    await db.SaveChangesAsync(cancellationToken);

                    ReadingHeaders.RawContent(Response);
                    Response.Headers.ContentDisposition = ReadingHeaders.AttachmentDisposition(FileName);
                    Response.ContentType = "application/zip";
                    await WriteZipAsync(Response.Body, content, files, cancellationToken);
                }

                return new EmptyResult();
            case AccessDecision.NeedsSignIn:
                return Redirect(ReadingEndpoints.SignInUrl(ReadingEndpoints.MessageUrl(id)));
            case var refused:
                return Refuse(Unavailable.For(refused, id));
        }
    }

    /// <summary>The attachments shown as files (<see cref="BodyDocument.IsInlineImage"/>) whose bytes can be found.</summary>
    public static IEnumerable<AttachmentEntry> Files(RenderModel model, ProtectionLevel protection) =>
        model.Attachments.Where(a => !BodyDocument.IsInlineImage(a, protection) && a.ContentOffset >= 0);

    private static async Task WriteZipAsync(Stream output, Stream originalMime, IReadOnlyList<AttachmentEntry> files, CancellationToken cancellationToken)
    {
        var names = ZipEntryNames.For(files.Select(f => f.FileName));
        await using var buffered = new SyncWritesDeferredStream(output);
        await using (var zip = await ZipArchive.CreateAsync(buffered, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken))
        {
            for (var i = 0; i < files.Count; i++)
            {
                var entry = zip.CreateEntry(names[i], CompressionLevel.Fastest);
                await using (var target = await entry.OpenAsync(cancellationToken))
                await using (var source = AttachmentContent.OpenDecoded(originalMime, files[i]))
                {
                    await source.CopyToAsync(target, cancellationToken);
                }

                await buffered.FlushAsync(cancellationToken);
            }
        }

        await buffered.FlushAsync(cancellationToken);
    }

    private PageResult Refuse(Unavailable refusal)
    {
        Refusal = refusal;
        Response.StatusCode = refusal.StatusCode;
        return Page();
    }
}
