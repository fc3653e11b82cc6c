using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using OmePortal.Core.Branding;
using OmePortal.Web.Hosting;
using OmePortal.Web.Portal;

namespace OmePortal.Web.Access.External;

/// <summary>
/// <c>POST /signin/external/{provider}</c> starts a sign-in (antiforgery token; optional <c>link</c>:
/// the message link it starts from; optional <c>returnUrl</c>), each provider's callback path hands
/// the provider's answer to its handler, and <c>GET /signin/passkey-offer/dismiss</c> hides the
/// passkey offer for the rest of the browser session. All of them carry the sign-in rate limit.
/// </summary>
public static class ExternalSignInEndpoints
{
    public const string OfferDismissedCookie = "__Host-omeportal-passkey-offer";

    public static void Map(IEndpointRouteBuilder app, ExternalProviders providers)
    {
        app.MapGet("/signin/passkey-offer/dismiss", DismissOffer).RequireRateLimiting(AccessExtensions.SignInRateLimit);
        if (!providers.Any)
        {
            return;
        }

        app.MapPost("/signin/external/{provider}", StartAsync).RequireRateLimiting(AccessExtensions.SignInRateLimit).DisableAntiforgery();
        foreach (var provider in providers.All)
        {
            app.MapMethods(provider.CallbackPath, [HttpMethods.Get, HttpMethods.Post], (HttpContext context, IAuthenticationHandlerProvider handlers) =>
                    CallbackAsync(context, handlers, provider))
                .RequireRateLimiting(AccessExtensions.SignInRateLimit)
                .DisableAntiforgery();
        }
    }

    private static async Task<IResult> StartAsync(
        string provider, HttpContext context, IAntiforgery antiforgery, ExternalProviders providers, RecipientLinks links, CancellationToken cancellationToken)
    {
        if (providers.ByName(provider) is not { } chosen)
        {
            return TypedResults.NotFound();
        }

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest();
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var properties = new AuthenticationProperties();
        var link = form["link"].ToString();
        if (link.Length > 0)
        {
            // The same look-up as the link page: an expired, revoked or unknown link starts nothing,
            // and neither does a brand that switched external sign-in off.
            if (await links.LookupAsync(link, cancellationToken) is not LinkLookup.Found found
                || !BrandSerializer.FromJson(found.Template.Json, null).MicrosoftSignInEnabled)
            {
                return TypedResults.Redirect("/m/" + Uri.EscapeDataString(link));
            }

            properties.Items[ExternalSignInCallback.LinkItem] = link;
            properties.Items[ExternalSignInCallback.RecipientItem] = found.Recipient.Id.ToString("D", CultureInfo.InvariantCulture);
            properties.RedirectUri = $"/messages/{found.Message.Id}";
        }
        else
        {
            var returnUrl = form["returnUrl"].ToString();
            properties.RedirectUri = HostingExtensions.IsLocal(returnUrl) ? returnUrl : "/inbox";
        }

        return TypedResults.Challenge(properties, [chosen.Scheme]);
    }

    private static async Task<IResult> CallbackAsync(HttpContext context, IAuthenticationHandlerProvider handlers, ExternalProvider provider)
    {
        if (await handlers.GetHandlerAsync(context, provider.Scheme) is not IAuthenticationRequestHandler handler)
        {
            return TypedResults.NotFound();
        }

        RateLimitedOpenIdConnectHandler.AllowCallback(context);
        return await handler.HandleRequestAsync() ? new HandledResult() : TypedResults.NotFound();
    }

    /// <summary>
    /// A GET, as the language switch: it only keeps a preference in a cookie of this browser, so a forged
    /// request can do no more than hide an offer, and the pages need no antiforgery token for it.
    /// </summary>
    private static RedirectHttpResult DismissOffer(HttpContext context, string? returnUrl)
    {
        PasskeyOffer.Dismiss(context);
        return TypedResults.LocalRedirect(HostingExtensions.IsLocal(returnUrl) ? returnUrl! : "/inbox");
    }

    /// <summary>The handler has written the response (a redirect) itself.</summary>
    private sealed class HandledResult : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => Task.CompletedTask;
    }
}
