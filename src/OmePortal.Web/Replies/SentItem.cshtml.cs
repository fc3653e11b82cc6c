using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Core.Access;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Replies;

/// <summary>The original a sent reply answers, when the reader may open it.</summary>
public sealed record AnsweredMessage(Guid MessageId, string? Subject);

/// <summary>
/// <c>/sent/{id}</c>: a message the signed-in reader sent, from their side: subject, recipients, date, whether it
/// can still be read, the message it answers and (in a menu) withdrawing it. Only its sender gets anything; a
/// recipient or stranger sees the "not found" page of an unknown message. The message it answers is linked only
/// when the one access decision lets the reader open it.
/// </summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class SentItemModel(SentItems sent, RecipientAccess access, MessageReader reader) : PageModel
{
    public SentItem? Item { get; private set; }

    public AnsweredMessage? Answered { get; private set; }

    public Unavailable? Refusal { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        var item = await sent.FindAsync(id, User, cancellationToken);
        if (item is null)
        {
            return Refuse(new Unavailable(UnavailableKind.NotFound));
        }

        if (item.Closed && await access.SenderSignInRefusalAsync(id, User, cancellationToken) is { } refused)
        {
            return Refuse(Unavailable.For(refused, id));
        }

        Item = item;
        if (item.InReplyToMessageId is { } answered)
        {
            var result = await access.DecideAsync(answered, User, cancellationToken);
            if (result.Decision is AccessDecision.Granted && await reader.OpenSummaryAsync(result, cancellationToken) is { } opened)
            {
                Answered = new AnsweredMessage(answered, opened.Model.Subject);
            }
        }

        return Page();
    }

    private PageResult Refuse(Unavailable refusal)
    {
        Refusal = refusal;
        Response.StatusCode = refusal.StatusCode;
        return Page();
    }
}
