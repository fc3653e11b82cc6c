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
/// Downloads one attachment, streamed and decoded straight out of the decrypted original (never
/// buffered whole). Do-Not-Forward messages are refused here, on the server, whatever the page showed.
/// </summary>
public sealed class AttachmentModel(RecipientAccess access, MessageReader reader, AuditLog audit, OmePortal.Web.Portal.PageBrands brands) : PageModel
{
    public Unavailable Refusal { get; private set; } = new(UnavailableKind.NotFound);

    public async Task<IActionResult> OnGetAsync(Guid id, int index, CancellationToken cancellationToken)
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
                var entry = opened?.Model.Attachments.FirstOrDefault(a => a.Index == index);
                if (opened is null || entry is null || entry.ContentOffset < 0)
                {
                    return Refuse(new Unavailable(UnavailableKind.NotFound));
                }

                var content = await reader.OpenContentAsync(opened, cancellationToken);
                if (content is null)
                {
                    return Refuse(Unavailable.For((await access.DecideAsync(id, User, cancellationToken)).Decision, id));
                }

                Response.RegisterForDispose(content);

                // The index, not the file name: the name is the sender's content.
                await audit.RecordAsync(opened.Record.TenantId, AuditEventKind.AttachmentDownloaded, granted.Address, id, granted.RecipientId,
                    index.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
                ReadingHeaders.RawContent(Response);
                Response.Headers.ContentDisposition = ReadingHeaders.AttachmentDisposition(entry.FileName);
                if (KnowsDecodedLength(entry))
                {
                    Response.ContentLength = entry.Size;
                }

                return new FileStreamResult(AttachmentContent.OpenDecoded(content, entry), ReadingHeaders.DownloadContentType(entry))
                {
                    EnableRangeProcessing = false,
                };
            case AccessDecision.NeedsSignIn:
                return Redirect(ReadingEndpoints.SignInUrl(ReadingEndpoints.MessageUrl(id)));
            case var refused:
                return Refuse(Unavailable.For(refused, id));
        }
    }

    /// <summary>
    /// The recorded size is the decoded size of a leaf part; an attached message re-encoded from
    /// base64/quoted-printable was measured differently, so its length is left to chunked encoding.
    /// </summary>
    private static bool KnowsDecodedLength(AttachmentEntry entry) =>
        !entry.ContentType.StartsWith("message/", StringComparison.OrdinalIgnoreCase)
        || entry.TransferEncoding is "7bit" or "8bit" or "binary";

    private PageResult Refuse(Unavailable refusal)
    {
        Refusal = refusal;
        Response.StatusCode = refusal.StatusCode;
        return Page();
    }
}
