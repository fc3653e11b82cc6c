using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Access.Security;

/// <summary>Says what removing a passkey means, then removes it on a deliberate POST. Only the owner's address can.</summary>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
public sealed class RemovePasskeyModel(OmePortalDbContext db) : PageModel
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
        var removed = await db.PasskeyCredentials.Where(c => c.Id == id && c.Address == address).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            return await OnGetAsync(id, cancellationToken);
        }

        return LocalRedirect("/security?status=removed");
    }
}
