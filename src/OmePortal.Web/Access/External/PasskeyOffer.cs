namespace OmePortal.Web.Access.External;

/// <summary>
/// Whether to offer a passkey to the signed-in recipient (Access/Passkeys/_PasskeyOffer.cshtml): after a
/// passcode or external sign-in, while the address has no passkey, until dismissed for the browser session.
/// Whether the address has one comes with the session (<see cref="RecipientAuthenticationHandler.HasPasskeyClaim"/>).
/// </summary>
public static class PasskeyOffer
{
    public static bool ShouldOffer(HttpContext context) =>
        context.User.RecipientAddress() is not null
        && !OmePortal.Core.Access.SignInChoices.IsPasskey(context.User.RecipientSignInMethod())
        && context.User.FindFirst(RecipientAuthenticationHandler.HasPasskeyClaim) is null
        && !context.Request.Cookies.ContainsKey(ExternalSignInEndpoints.OfferDismissedCookie)
        && !context.Request.Path.StartsWithSegments("/security", StringComparison.OrdinalIgnoreCase);
}
