using System.Security.Claims;

namespace OmePortal.Web.Access.External;

/// <summary>
/// Whether to offer a passkey to the signed-in recipient (Access/Passkeys/_PasskeyOffer.cshtml): once after a
/// passcode or external sign-in, on the first page that shows it, while the address has no passkey. The cookie
/// remembers the session it was shown in (or dismissed for), so the offer does not follow the reader from page to
/// page, and a later sign-in offers it once again. Whether the address has a passkey comes with the session
/// (<see cref="RecipientAuthenticationHandler.HasPasskeyClaim"/>).
/// </summary>
public static class PasskeyOffer
{
    /// <summary>The address has a passkey, or this session was signed in with one.</summary>
    public static bool HasPasskey(ClaimsPrincipal user) =>
        OmePortal.Core.Access.SignInChoices.IsPasskey(user.RecipientSignInMethod())
        || user.FindFirst(RecipientAuthenticationHandler.HasPasskeyClaim) is not null;

    /// <summary>
    /// True when this page should show the offer, and then remembers that it was shown for this session. Called by
    /// the layout while the response is still buffered, so the cookie can still be set.
    /// </summary>
    public static bool Take(HttpContext context)
    {
        if (context.User.RecipientAddress() is null
            || HasPasskey(context.User)
            || context.User.RecipientSessionId() is not { } session
            || context.Request.Path.StartsWithSegments("/security", StringComparison.OrdinalIgnoreCase)
            || IsSeen(context, session)
            || context.Response.HasStarted)
        {
            return false;
        }

        Remember(context, session);
        return true;
    }

    /// <summary>"Not now": the offer is done for this session.</summary>
    public static void Dismiss(HttpContext context)
    {
        if (context.User.RecipientSessionId() is { } session)
        {
            Remember(context, session);
        }
    }

    private static bool IsSeen(HttpContext context, Guid session) =>
        context.Request.Cookies.TryGetValue(ExternalSignInEndpoints.OfferDismissedCookie, out var value)
        && Guid.TryParse(value, out var seen) && seen == session;

    // A session cookie holding only the session's id (not its secret token); a new sign-in has another id.
    private static void Remember(HttpContext context, Guid session) =>
        context.Response.Cookies.Append(ExternalSignInEndpoints.OfferDismissedCookie, session.ToString("N"), new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            IsEssential = true,
        });
}
