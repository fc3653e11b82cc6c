using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Access;

/// <summary>
/// The recipient session cookie (<c>__Host-omeportal</c>: Secure, HttpOnly, SameSite=Lax, path /),
/// validated against <see cref="RecipientSessions"/> on every request.
/// </summary>
public sealed class RecipientAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    RecipientSessions sessions) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Recipient";
    public const string CookieName = "__Host-omeportal";
    public const string AddressClaim = "omeportal:address";
    public const string MethodClaim = "omeportal:method";
    public const string SessionClaim = "omeportal:session";

    /// <summary>When the session was signed in (its start, as Unix milliseconds): adding a passkey asks for a recent one.</summary>
    public const string SignedInAtClaim = "omeportal:signed-in-at";

    /// <summary>Present when the session's address has a passkey (read with the session on every request).</summary>
    public const string HasPasskeyClaim = "omeportal:has-passkey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(CookieName, out var token))
        {
            return AuthenticateResult.NoResult();
        }

        if (await sessions.ValidateAsync(token, Context.RequestAborted) is not { } live)
        {
            return AuthenticateResult.Fail("The recipient session is unknown, ended or expired.");
        }

        var session = live.Session;
        List<Claim> claims =
        [
            new Claim(AddressClaim, session.Address),
            new Claim(MethodClaim, session.Method),
            new Claim(SessionClaim, session.Id.ToString()),
            new Claim(SignedInAtClaim, session.CreatedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ];
        if (live.AddressHasPasskey)
        {
            claims.Add(new Claim(HasPasskeyClaim, "true"));
        }

        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var returnUrl = properties.RedirectUri ?? (Request.PathBase + Request.Path + Request.QueryString).ToString();
        Response.Redirect("/signin?returnUrl=" + Uri.EscapeDataString(returnUrl));
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    public static CookieOptions CookieOptions() => new()
    {
        Secure = true,
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        IsEssential = true,
    };

    /// <summary>
    /// Starts a fresh session (a new identifier, whatever came before) and sets the cookie;
    /// <paramref name="passkeyId"/> is the passkey that signed in, if one did.
    /// </summary>
    public static async Task SignInAsync(HttpContext context, string address, string method, Guid? passkeyId = null)
    {
        var sessions = context.RequestServices.GetRequiredService<RecipientSessions>();
        if (context.Request.Cookies.TryGetValue(CookieName, out var previous))
        {
            await sessions.EndAsync(previous, context.RequestAborted);
        }

        var token = await sessions.StartAsync(address, method, context.RequestAborted, passkeyId);
        context.Response.Cookies.Append(CookieName, token, CookieOptions());
        context.RequestServices.GetRequiredService<OmePortal.Web.Telemetry.PortalMetrics>().SignedIn(
            passkeyId is not null ? OmePortal.Web.Telemetry.SignInMethodLabel.Passkey
            : method == OmePortal.Core.Access.SignInChoices.PasscodeMethod ? OmePortal.Web.Telemetry.SignInMethodLabel.Passcode
            : OmePortal.Web.Telemetry.SignInMethodLabel.Oidc);
    }

    public static async Task SignOutAsync(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var token))
        {
            await context.RequestServices.GetRequiredService<RecipientSessions>().EndAsync(token, context.RequestAborted);
        }

        context.Response.Cookies.Delete(CookieName, CookieOptions());
    }
}

public static class RecipientPrincipal
{
    /// <summary>The verified address of the signed-in recipient, or null.</summary>
    public static string? RecipientAddress(this ClaimsPrincipal user) =>
        user.Identities.FirstOrDefault(i => i.AuthenticationType == RecipientAuthenticationHandler.SchemeName && i.IsAuthenticated)
            ?.FindFirst(RecipientAuthenticationHandler.AddressClaim)?.Value;

    /// <summary>The address of a recipient that the recipient policy already let in (normalised); throws otherwise.</summary>
    public static string RequiredRecipientAddress(this ClaimsPrincipal user) =>
        OmePortal.Core.Mime.AddressNormalizer.Normalize(
            user.RecipientAddress() ?? throw new InvalidOperationException("The recipient policy lets only signed-in recipients in."));

    public static string? RecipientSignInMethod(this ClaimsPrincipal user) =>
        user.FindFirst(RecipientAuthenticationHandler.MethodClaim)?.Value;

    /// <summary>The id of the recipient's session, or null.</summary>
    public static Guid? RecipientSessionId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirst(RecipientAuthenticationHandler.SessionClaim)?.Value, out var id) ? id : null;

    /// <summary>When the recipient's session was signed in, or null (no session, or a principal without it).</summary>
    public static DateTimeOffset? RecipientSignedInAt(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirst(RecipientAuthenticationHandler.SignedInAtClaim)?.Value, System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : null;
}
