using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Audit;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Access.Security;

/// <summary>
/// Says what removing a passkey means, then removes it on a deliberate POST. Only the owner's address can.
/// The sessions the passkey signed in end with it (whoever held the passkey is out at once), in the same
/// transaction as the removal and its audit event.
/// </summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class RemovePasskeyModel(OmePortalDbContext db, RecipientSessions sessions, RecipientAuditTrail audit) : PageModel
{
    public string Address { get; private set; } = string.Empty;

    public string? Name { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(Response);
        Address = User.RequiredRecipientAddress();
        var address = Address;
        Name = await db.PasskeyCredentials.AsNoTracking()
            .Where(c => c.Id == id && c.Address == address)
            .Select(c => c.Name)
            .SingleOrDefaultAsync(cancellationToken);
        if (Name is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        var address = User.RequiredRecipientAddress();
        var current = User.RecipientSessionId();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var removed = await db.PasskeyCredentials.Where(c => c.Id == id && c.Address == address).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return await OnGetAsync(id, cancellationToken);
        }

        var endsThisSession = await db.RecipientSessions.AnyAsync(s => s.Id == current && s.PasskeyId == id && s.EndedAt == null, cancellationToken);
        var ended = await sessions.EndSignedInByAsync(id, cancellationToken);
        await audit.AddAsync(AuditEventKind.PasskeyRemoved, address, messageId: null,
            $"sessions ended: {ended.ToString(System.Globalization.CultureInfo.InvariantCulture)}", cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (endsThisSession)
        {
            // This very session came from the passkey: it is over, so the browser signs in again.
            await RecipientAuthenticationHandler.SignOutAsync(HttpContext);
            return LocalRedirect("/signin?returnUrl=%2Fsecurity");
        }

        return LocalRedirect("/security?status=removed");
    }
}
