using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Intake;

/// <summary>
/// "Authorization: Bearer omp_…" for the organisation's systems. The principal carries the tenant id;
/// a missing, unknown or revoked key is answered with 401 problem details.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeys apiKeys,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "omeportal:tenant";
    public const string PrefixClaim = "omeportal:apikey-prefix";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var presented = header["Bearer ".Length..].Trim();
        var tenantId = await apiKeys.AuthenticateAsync(presented, Context.RequestAborted);
        if (tenantId is null)
        {
            return AuthenticateResult.Fail("Invalid API key.");
        }

        // The key's stored prefix (its first characters, not secret): the audit log's "api:<prefix>" actor.
        var identity = new ClaimsIdentity([new Claim(TenantClaim, tenantId.Value.ToString()), new Claim(PrefixClaim, presented[..Math.Min(12, presented.Length)])], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Authentication required",
                Detail = "Send a tenant API key as 'Authorization: Bearer <key>'. The key given is missing, unknown or revoked.",
            },
        });
    }

    public static Guid TenantOf(ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(TenantClaim)!);

    /// <summary>The audit actor of an API caller: "api:" and the key's prefix.</summary>
    public static string ActorOf(ClaimsPrincipal user) => "api:" + user.FindFirstValue(PrefixClaim);
}
