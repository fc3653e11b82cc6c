using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Web.Access;
using OmePortal.Web.Replies;

namespace OmePortal.Web.Reading;

/// <summary>
/// Every message addressed to the signed-in recipient, newest first, a page at a time; with <c>?view=sent</c>
/// the replies and forwards they wrote in the portal instead (<see cref="SentItems"/>).
/// </summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class InboxModel(MessageReader reader, SentItems sentItems) : PageModel
{
    public string Address { get; private set; } = string.Empty;

    public InboxPage Inbox { get; private set; } = new([], 1, 1, 0);

    /// <summary>The Sent view, when asked for; null for the received messages.</summary>
    public SentPage? Sent { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "page")] int? pageNumber, [FromQuery(Name = "view")] string? view, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        if (User.RecipientAddress() is not { } address)
        {
            return Challenge();
        }

        Address = address;
        if (view == InboxViews.SentView)
        {
            Sent = await sentItems.ListAsync(User, pageNumber ?? 1, cancellationToken);
            return Page();
        }

        Inbox = await reader.InboxAsync(address, User.RecipientSignInMethod(), pageNumber ?? 1, cancellationToken);
        return Page();
    }
}
