using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Revocation;

/// <summary>
/// The sender withdraws a message they sent: a confirmation (GET) and the revocation (POST). Only the
/// signed-in sender gets anything; a recipient or stranger sees the same "not found" page as for an
/// unknown message, and a POST from them changes nothing. The message's brand binds the sender's
/// session as it binds a reader's: signed in a way it turned off, the sender is asked to sign in another way.
/// </summary>
public sealed class SenderRevokeModel(SenderRevocation senders, RecipientAccess access) : PageModel
{
    public SentMessage? Message { get; private set; }

    public Unavailable? Refusal { get; private set; }

    public bool Done { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        if (User.RecipientAddress() is not { } address)
        {
            return Redirect(ReadingEndpoints.SignInUrl(Request.Path));
        }

        var found = await senders.FindAsync(id, address, cancellationToken);
        if (found is null)
        {
            return NotFoundPage();
        }

        if (await access.SenderSignInRefusalAsync(id, User, cancellationToken) is { } refused)
        {
            return Refuse(Unavailable.For(refused, id));
        }

        Message = found.Value.Message;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        if (User.RecipientAddress() is not { } address)
        {
            return Redirect(ReadingEndpoints.SignInUrl(Request.Path));
        }

        if (await senders.FindAsync(id, address, cancellationToken) is null)
        {
            return NotFoundPage();
        }

        if (await access.SenderSignInRefusalAsync(id, User, cancellationToken) is { } refused)
        {
            return Refuse(Unavailable.For(refused, id));
        }

        if (await senders.RevokeAsync(id, address, cancellationToken) is not RevocationResult.Done)
        {
            return NotFoundPage();
        }

        Message = (await senders.FindAsync(id, address, cancellationToken))?.Message;
        Done = true;
        return Page();
    }

    private PageResult NotFoundPage() => Refuse(new Unavailable(UnavailableKind.NotFound));

    private PageResult Refuse(Unavailable refusal)
    {
        Refusal = refusal;
        Response.StatusCode = refusal.StatusCode;
        return Page();
    }
}
