using Microsoft.EntityFrameworkCore;
using OmePortal.Data;

namespace OmePortal.Web.Access.External;

/// <summary>
/// Whether to offer a passkey to the signed-in recipient (Pages/Shared/_PasskeyOffer.cshtml): after a
/// passcode or external sign-in, while the address has no passkey, until dismissed for the browser session.
/// </summary>
public sealed class PasskeyOffer(OmePortalDbContext db)
{
    public async Task<bool> ShouldOfferAsync(HttpContext context)
    {
        if (context.User.RecipientAddress() is null
            || context.User.RecipientSignInMethod() == "passkey"
            || context.Request.Cookies.ContainsKey(ExternalSignInEndpoints.OfferDismissedCookie)
            || context.Request.Path.StartsWithSegments("/security", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var address = context.User.RequiredRecipientAddress();
        return !await db.PasskeyCredentials.AnyAsync(c => c.Address == address, context.RequestAborted);
    }
}
