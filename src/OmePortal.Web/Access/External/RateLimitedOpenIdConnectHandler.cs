using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Access.External;

/// <summary>
/// The OpenID Connect handler, except that it answers its callback only when called from the
/// callback endpoint (<see cref="ExternalSignInEndpoints"/>). The authentication middleware runs
/// before the rate limiter, so a handler that took its callback there would bypass the sign-in
/// rate limit; the endpoint carries that policy and then lets this handler do its work. The
/// remote sign-out paths of the base handler are never served (the portal has its own sign-out).
/// </summary>
public sealed class RateLimitedOpenIdConnectHandler(IOptionsMonitor<OpenIdConnectOptions> options, ILoggerFactory logger, HtmlEncoder htmlEncoder, UrlEncoder encoder)
    : OpenIdConnectHandler(options, logger, htmlEncoder, encoder)
{
    private static readonly object CallbackKey = new();

    public override Task<bool> HandleRequestAsync() =>
        Context.Items.ContainsKey(CallbackKey) ? base.HandleRequestAsync() : Task.FromResult(false);

    /// <summary>Marks the request as having come through the (rate-limited) callback endpoint.</summary>
    public static void AllowCallback(HttpContext context) => context.Items[CallbackKey] = true;
}
