using System.Globalization;
using System.Security.Claims;
using Fido2NetLib;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Access.Passkeys;
using OmePortal.Web.Hosting;
using OmePortal.Web.Admin;

namespace OmePortal.Web.Admin.Passkeys;

/// <summary>
/// The admin passkey API under <c>/admin/account/passkeys</c>, shaped like the recipients' one so
/// <c>passkeys.js</c> drives both: POSTs with the antiforgery header, the challenge id in its own
/// <c>__Host-</c> cookie, the admin sign-in rate limit on all four. Registration needs an admin signed
/// in with both factors, recently; sign-in needs nothing but the passkey and an account that is not locked.
/// </summary>
public static class AdminPasskeyEndpoints
{
    public const string ChallengeCookie = "__Host-omeportal-admin-passkey";
    public const string BasePath = "/admin/account/passkeys";

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(BasePath).RequireRateLimiting(AdminExtensions.SignInRateLimit);
        group.MapPost("/registration/options", BeginRegistrationAsync).RequireAuthorization(AdminPolicies.TenantAdmin);
        group.MapPost("/registration", CompleteRegistrationAsync).RequireAuthorization(AdminPolicies.TenantAdmin);
        group.MapPost("/signin/options", BeginSignInAsync);
        group.MapPost("/signin", CompleteSignInAsync);
    }

    /// <summary>True when the admin's sign-in is recent enough to add a passkey.</summary>
    public static bool MayRegister(ClaimsPrincipal user, TimeProvider time, AdminOptions options) =>
        user.AdminIdentity()?.SignedInAt() is { } at && time.GetUtcNow() - at <= options.PasskeyRegistrationWindow;

    private static async Task<Results<ContentHttpResult, ForbidHttpResult, BadRequest<ProblemDetails>>> BeginRegistrationAsync(
        HttpContext context, IAntiforgery antiforgery, UserManager<AdminUser> users, AdminPasskeyCeremonies ceremonies,
        AdminScope scope, TimeProvider time, IOptions<AdminOptions> options, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        if (!MayRegister(context.User, time, options.Value) || await SignedInAdminAsync(scope, users) is not { } user)
        {
            return TypedResults.Forbid();
        }

        var (challengeId, json) = await ceremonies.BeginRegistrationAsync(user, cancellationToken);
        PasskeyHttp.SetChallenge(context, ChallengeCookie, challengeId);
        return TypedResults.Text(json, "application/json");
    }

    private static async Task<Results<Ok, ForbidHttpResult, BadRequest<ProblemDetails>>> CompleteRegistrationAsync(
        HttpContext context, IAntiforgery antiforgery, UserManager<AdminUser> users, AdminPasskeyCeremonies ceremonies,
        AdminScope scope, OmePortal.Web.Audit.AuditLog audit, TimeProvider time, IOptions<AdminOptions> options,
        IStringLocalizer<AdminResource> text, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        if (!MayRegister(context.User, time, options.Value) || await SignedInAdminAsync(scope, users) is not { } user)
        {
            return TypedResults.Forbid();
        }

        var request = await PasskeyHttp.ReadAsync<PasskeyRegistrationRequest>(context, cancellationToken);
        var challengeId = PasskeyHttp.TakeChallenge(context, ChallengeCookie);
        if (request?.Credential is not { } credential)
        {
            return PasskeyHttp.Problem("The request is not a passkey registration.");
        }

        var name = request.Name?.Trim() is { Length: > 0 } given ? given[..Math.Min(given.Length, PasskeyEndpoints.MaxNameLength)]
            : text["PasskeyDefaultName", time.GetUtcNow().UtcDateTime.ToString("d", CultureInfo.CurrentUICulture)].Value;
        if (await ceremonies.CompleteRegistrationAsync(challengeId, user, name, credential, cancellationToken) is null)
        {
            return PasskeyHttp.Problem("The passkey could not be registered.");
        }

        await audit.RecordAsync(scope.TenantId, AuditEventKind.AdminChanged, scope.Actor, detail: "passkey added: " + name, cancellationToken: cancellationToken);
        return TypedResults.Ok();
    }

    private static async Task<AdminUser?> SignedInAdminAsync(AdminScope scope, UserManager<AdminUser> users) =>
        scope.IsSignedIn ? await users.FindByIdAsync(scope.UserId.ToString()) : null;

    private static async Task<Results<ContentHttpResult, BadRequest<ProblemDetails>>> BeginSignInAsync(
        HttpContext context, IAntiforgery antiforgery, AdminPasskeyCeremonies ceremonies, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        var (challengeId, json) = await ceremonies.BeginSignInAsync(cancellationToken);
        PasskeyHttp.SetChallenge(context, ChallengeCookie, challengeId);
        return TypedResults.Text(json, "application/json");
    }

    private static async Task<Results<Ok<PasskeySignedIn>, BadRequest<ProblemDetails>>> CompleteSignInAsync(
        HttpContext context, IAntiforgery antiforgery, AdminPasskeyCeremonies ceremonies, SignInManager<AdminUser> signIn,
        AdminSignInAudit audit, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return PasskeyHttp.Problem("The request did not carry a valid antiforgery token.");
        }

        var request = await PasskeyHttp.ReadAsync<PasskeySignInRequest>(context, cancellationToken);
        var challengeId = PasskeyHttp.TakeChallenge(context, ChallengeCookie);
        if (request?.Credential is not { } credential)
        {
            return PasskeyHttp.Problem("The request is not a passkey sign-in.");
        }

        if (await ceremonies.CompleteSignInAsync(challengeId, credential, cancellationToken) is not { } userId
            || await signIn.UserManager.FindByIdAsync(userId.ToString()) is not { } user)
        {
            return PasskeyHttp.Problem("The passkey did not sign in.");
        }

        // The passkey replaces both factors, not the lockout: a locked account stays locked.
        if (await signIn.UserManager.IsLockedOutAsync(user) || !await signIn.CanSignInAsync(user))
        {
            await audit.FailedAsync(user, "passkey; locked out", cancellationToken);
            return PasskeyHttp.Problem("The account is locked.");
        }

        await context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [new Claim(AdminAuthentication.MethodClaim, AdminAuthentication.TwoFactorMethod)]);
        await audit.SignedInAsync(user, "passkey", cancellationToken);
        var target = HostingExtensions.IsLocal(request.ReturnUrl) && request.ReturnUrl!.StartsWith("/admin", StringComparison.OrdinalIgnoreCase)
            ? request.ReturnUrl : "/admin";
        return TypedResults.Ok(new PasskeySignedIn(target));
    }
}
