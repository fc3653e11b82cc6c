using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace OmePortal.Web.Access.Passkeys;

/// <summary>
/// The HTTP side both passkey APIs (recipients', admins') share: JSON bodies read without throwing,
/// the ceremony's challenge id in a short-lived <c>__Host-</c> cookie, refusals as problem details.
/// </summary>
public static class PasskeyHttp
{
    public static async Task<T?> ReadAsync<T>(HttpContext context, CancellationToken cancellationToken)
        where T : class
    {
        if (!context.Request.HasJsonContentType())
        {
            return null;
        }

        try
        {
            return await context.Request.ReadFromJsonAsync<T>(cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static void SetChallenge(HttpContext context, string cookieName, Guid challengeId) =>
        context.Response.Cookies.Append(cookieName, challengeId.ToString(), new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            MaxAge = TimeSpan.FromMinutes(15),
            IsEssential = true,
        });

    /// <summary>The ceremony's challenge id (the cookie is removed: a challenge is good for one answer).</summary>
    public static Guid? TakeChallenge(HttpContext context, string cookieName)
    {
        context.Response.Cookies.Delete(cookieName, new CookieOptions { Secure = true, HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        return context.Request.Cookies.TryGetValue(cookieName, out var value) && Guid.TryParse(value, out var id) ? id : null;
    }

    public static BadRequest<ProblemDetails> Problem(string detail) =>
        TypedResults.BadRequest(new ProblemDetails { Status = StatusCodes.Status400BadRequest, Title = "Passkey request refused", Detail = detail });
}
