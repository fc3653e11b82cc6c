using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Web.Access;

namespace OmePortal.Web.Reading;

/// <summary>Every message addressed to the signed-in recipient, newest first, a page at a time.</summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class InboxModel(MessageReader reader) : PageModel
{
    public string Address { get; private set; } = string.Empty;

    public InboxPage Inbox { get; private set; } = new([], 1, 1, 0);

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "page")] int? pageNumber, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        if (User.RecipientAddress() is not { } address)
        {
            return Challenge();
        }

        Address = address;
        Inbox = await reader.InboxAsync(address, User.RecipientSignInMethod(), pageNumber ?? 1, cancellationToken);
        return Page();
    }
}
