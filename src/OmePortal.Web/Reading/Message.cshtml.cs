using System.Net;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Web.Access;

namespace OmePortal.Web.Reading;

/// <summary>
/// The message page: headers, the sandboxed body frame, attachments, actions and the thread. Asks
/// <see cref="RecipientAccess"/> first and shows nothing of the message for any answer but Granted.
/// </summary>
public sealed class MessageModel(RecipientAccess access, MessageReader reader, OmePortal.Web.Portal.PageBrands brands) : PageModel
{
    public Unavailable? Refusal { get; private set; }

    public OpenedMessage? Message { get; private set; }

    public IReadOnlyList<ListedMessage> Thread { get; private set; } = [];

    /// <summary>Messages of this conversation that the reader sent (they may revoke those).</summary>
    public IReadOnlyList<Guid> SentByReader { get; private set; } = [];

    public bool ShowImages { get; private set; }

    public bool DoNotForward => Message?.Access.Protection == ProtectionLevel.DoNotForward;

    /// <summary>Attachments the reader sees as files: everything the body does not show (<see cref="BodyDocument.IsInlineImage"/>).</summary>
    public IReadOnlyList<AttachmentEntry> Files =>
        Message is null ? [] : [.. Message.Model.Attachments.Where(a => !BodyDocument.IsInlineImage(a, Message.Access.Protection))];

    /// <summary>How many files "download all" puts in its zip (<see cref="AttachmentsZipModel.Files"/>).</summary>
    public int DownloadableFiles => Message is null ? 0 : AttachmentsZipModel.Files(Message.Model, Message.Access.Protection).Count();

    public string BodyUrl => $"/messages/{Message!.Record.Id}/body" + (ShowImages ? "?images=1" : string.Empty);

    public async Task<IActionResult> OnGetAsync(Guid id, string? images, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        var result = await access.DecideAsync(id, User, cancellationToken);
        OmePortal.Web.Portal.PageBrandViewData.ShowBrand(this, brands.ForReader(result));
        switch (result.Decision)
        {
            case AccessDecision.Granted:
                Message = await reader.OpenSummaryAsync(result, cancellationToken);
                if (Message is null)
                {
                    // Shredded between the decision and the decryption: the decision now says why.
                    return Refuse(Unavailable.For((await access.DecideAsync(id, User, cancellationToken)).Decision, id));
                }

                ShowImages = images == "1";
                await reader.MarkViewedAsync(Message, cancellationToken);
                (Thread, SentByReader) = await reader.ConversationAsync(Message, User.RecipientSignInMethod(), cancellationToken);
                return Page();
            case AccessDecision.NeedsSignIn:
                return Redirect(ReadingEndpoints.SignInUrl(Request.Path + Request.QueryString));
            case var refused:
                return Refuse(Unavailable.For(refused, id));
        }
    }

    private PageResult Refuse(Unavailable refusal)
    {
        Refusal = refusal;
        Response.StatusCode = refusal.StatusCode;
        return Page();
    }

    /// <summary>
    /// The watermark tile: the reader's address in an SVG, as a data URL for a CSS background (the
    /// page CSP allows data: images and nonce'd style blocks). Percent-encoded, so it is inert in CSS and HTML.
    /// </summary>
    public static string WatermarkTile(string address)
    {
        var text = WebUtility.HtmlEncode(address);
        var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='420' height='220'>"
            + "<text x='210' y='120' text-anchor='middle' transform='rotate(-24 210 110)' font-family='sans-serif' font-size='17' fill='#201f1e' fill-opacity='0.14'>"
            + text + "</text></svg>";
        return "data:image/svg+xml," + Uri.EscapeDataString(svg);
    }

    /// <summary>"Name &lt;address&gt;" or just the address.</summary>
    public static string Display(RenderAddress address) =>
        string.IsNullOrWhiteSpace(address.Name) ? address.Address : $"{address.Name} <{address.Address}>";
}
