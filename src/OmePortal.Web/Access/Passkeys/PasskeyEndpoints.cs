using System.Globalization;
using System.Text.Json;
using Fido2NetLib;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Access.Passkeys;

/// <summary>What the browser posts to finish a registration: an optional name and <c>credential.toJSON()</c>.</summary>
public sealed record PasskeyRegistrationRequest(string? Name, AuthenticatorAttestationRawResponse? Credential);

/// <summary>What the browser posts to finish a sign-in: where to go next and <c>credential.toJSON()</c>.</summary>
public sealed record PasskeySignInRequest(string? ReturnUrl, AuthenticatorAssertionRawResponse? Credential);

/// <summary>Where the browser goes after a passkey sign-in.</summary>
public sealed record PasskeySignedIn(string Redirect);

/// <summary>
/// The four JSON endpoints of the ceremonies. Every one is a POST that needs the antiforgery token
/// (header <c>RequestVerificationToken</c>), is rate limited like the passcode pages, and keeps the
/// ceremony's challenge id in a short-lived <c>__Host-</c> cookie (the options themselves stay on the server).
/// </summary>
public static class PasskeyEndpoints
{
    public const string ChallengeCookie = "__Host-omeportal-passkey";
    public const int MaxNameLength = 100;

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/passkeys").RequireRateLimiting(AccessExtensions.SignInRateLimit);
        group.MapPost("/registration/options", BeginRegistrationAsync);
        group.MapPost("/registration", CompleteRegistrationAsync);
        group.MapPost("/signin/options", BeginSignInAsync);
        group.MapPost("/signin", CompleteSignInAsync);
    }

    private static async Task<Results<ContentHttpResult, UnauthorizedHttpResult, BadRequest<ProblemDetails>, ProblemHttpResult>> BeginRegistrationAsync(
        HttpContext context, IAntiforgery antiforgery, PasskeyCeremonies ceremonies, IOptions<PasskeyOptions> options, TimeProvider time,
        IStringLocalizer<PasskeysResource> text, CancellationToken cancellationToken)
    {
        if (context.User.RecipientAddress() is not { } address)
        {
            return TypedResults.Unauthorized();
        }

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        if (!options.Value.SignInIsRecentEnough(context.User.RecipientSignedInAt(), time.GetUtcNow()))
        {
            return SignInAgain(options.Value, text);
        }

        var (challengeId, json) = await ceremonies.BeginRegistrationAsync(address, cancellationToken);
        SetChallenge(context, challengeId);
        return TypedResults.Text(json, "application/json");
    }

    private static async Task<Results<Ok, UnauthorizedHttpResult, BadRequest<ProblemDetails>, ProblemHttpResult>> CompleteRegistrationAsync(
        HttpContext context, IAntiforgery antiforgery, PasskeyCeremonies ceremonies, IOptions<PasskeyOptions> options, TimeProvider time,
        IStringLocalizer<PasskeysResource> text, CancellationToken cancellationToken)
    {
        if (context.User.RecipientAddress() is not { } address || context.User.RecipientSignInMethod() is not { } method)
        {
            return TypedResults.Unauthorized();
        }

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        // Checked again at the end: the ceremony may have started just inside the limit.
        if (!options.Value.SignInIsRecentEnough(context.User.RecipientSignedInAt(), time.GetUtcNow()))
        {
            TakeChallenge(context);
            return SignInAgain(options.Value, text);
        }

        var request = await PasskeyHttp.ReadAsync<PasskeyRegistrationRequest>(context, cancellationToken);
        var challengeId = TakeChallenge(context);
        if (request?.Credential is not { } credential)
        {
            return PasskeyHttp.Problem("The request is not a passkey registration.");
        }

        var name = request.Name?.Trim() is { Length: > 0 } given ? given[..Math.Min(given.Length, MaxNameLength)]
            : text["DefaultName", time.GetUtcNow().UtcDateTime.ToString("d", CultureInfo.CurrentUICulture)].Value;
        return await ceremonies.CompleteRegistrationAsync(challengeId, address, method, name, credential, cancellationToken)
            ? TypedResults.Ok()
            : PasskeyHttp.Problem("The passkey could not be registered.");
    }

    private static async Task<Results<ContentHttpResult, BadRequest<ProblemDetails>>> BeginSignInAsync(
        HttpContext context, IAntiforgery antiforgery, PasskeyCeremonies ceremonies, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        var (challengeId, json) = await ceremonies.BeginSignInAsync(cancellationToken);
        SetChallenge(context, challengeId);
        return TypedResults.Text(json, "application/json");
    }

    private static async Task<Results<Ok<PasskeySignedIn>, BadRequest<ProblemDetails>>> CompleteSignInAsync(
        HttpContext context, IAntiforgery antiforgery, PasskeyCeremonies ceremonies, RecipientAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        var request = await PasskeyHttp.ReadAsync<PasskeySignInRequest>(context, cancellationToken);
        var challengeId = TakeChallenge(context);
        if (request?.Credential is not { } credential)
        {
            return PasskeyHttp.Problem("The request is not a passkey sign-in.");
        }

        switch (await ceremonies.CompleteSignInAsync(challengeId, credential, cancellationToken))
        {
            case PasskeySignIn.Verified verified:
                // The same session as a passcode sign-in, for the credential's own address only.
                await RecipientAuthenticationHandler.SignInAsync(context, verified.Address, verified.SessionMethod, verified.PasskeyId);
                await audit.SignedInAsync(verified.Address, verified.SessionMethod, RecipientAuditTrail.MessageIdOf(request.ReturnUrl), cancellationToken);
                return TypedResults.Ok(new PasskeySignedIn(HostingExtensions.IsLocal(request.ReturnUrl) ? request.ReturnUrl! : "/inbox"));
            case PasskeySignIn.Refused:
                return PasskeyHttp.Problem("The passkey did not sign in.");
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    private static void SetChallenge(HttpContext context, Guid challengeId) => PasskeyHttp.SetChallenge(context, ChallengeCookie, challengeId);

    /// <summary>The sign-in path that re-confirms the address and comes back to /security.</summary>
    public const string SignInAgainUrl = "/signin?returnUrl=%2Fsecurity";

    /// <summary>
    /// 403 for a session signed in too long ago to add a passkey: what to do (sign in again) in the reader's
    /// language, and where (<c>signInUrl</c>).
    /// </summary>
    private static ProblemHttpResult SignInAgain(PasskeyOptions options, IStringLocalizer<PasskeysResource> text) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Recent sign-in required",
            Detail = text["SignInAgainBody", (int)options.RegistrationSignInMaxAge.TotalMinutes].Value,
            Extensions = { ["signInUrl"] = SignInAgainUrl },
        });

    private static Guid? TakeChallenge(HttpContext context) => PasskeyHttp.TakeChallenge(context, ChallengeCookie);
}
