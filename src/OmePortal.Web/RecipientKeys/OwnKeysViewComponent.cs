using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using OmePortal.Web.Access;
using OmePortal.Web.Access.Passkeys;

namespace OmePortal.Web.RecipientKeys;

/// <summary>What the recipient's key section on /security shows.</summary>
public sealed record OwnKeysView(string Address, IReadOnlyList<OwnKey> Keys, bool MayAdd, string? Status);

/// <summary>
/// The "receive these messages encrypted in my own mail program" section of /security: the keys the signed-in
/// address has, removal, PGP/MIME or PGP/Inline, and the upload form (posting to <see cref="OwnKeysModel"/>).
/// Adding a key needs a sign-in as recent as adding a passkey does: a key, like a passkey, outlives the session.
/// </summary>
public sealed class OwnKeysViewComponent(RecipientOwnKeys ownKeys, IOptions<PasskeyOptions> passkeys, TimeProvider time) : ViewComponent
{
    public async Task<IViewComponentResult> InvokeAsync()
    {
        var address = UserClaimsPrincipal.RequiredRecipientAddress();
        var keys = await ownKeys.ListAsync(address, HttpContext.RequestAborted);
        var status = Request.Query["keys"].ToString() is { Length: > 0 } value && OwnKeysModel.Statuses.Contains(value) ? value : null;
        var mayAdd = passkeys.Value.SignInIsRecentEnough(UserClaimsPrincipal.RecipientSignedInAt(), time.GetUtcNow());
        return View("~/RecipientKeys/_OwnKeys.cshtml", new OwnKeysView(address, keys, mayAdd, status));
    }
}
