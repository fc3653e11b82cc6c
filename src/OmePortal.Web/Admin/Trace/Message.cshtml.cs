using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Trace;

/// <summary>
/// /admin/trace/{id}: one message's metadata, each recipient's status and the audit events. A message
/// of another tenant is not found (404), exactly like one that does not exist.
/// </summary>
public sealed class MessageModel(MessageTrace trace, AdminScope scope) : PageModel
{
    public TracedMessage Message { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        var message = await trace.FindAsync(scope.TenantId, id, cancellationToken);
        if (message is null)
        {
            return NotFound();
        }

        Message = message;
        return Page();
    }

    /// <summary>The address an event's recipient id stands for on this message (events name the actor anyway).</summary>
    public string? RecipientAddress(Guid? recipientId) =>
        recipientId is null ? null : Message.Recipients.FirstOrDefault(r => r.Id == recipientId)?.Address;
}
