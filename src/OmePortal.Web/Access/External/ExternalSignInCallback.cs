using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Audit;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Access.External;

/// <summary>
/// What happens once a provider's ID token has been validated (signature, issuer, audience, nonce,
/// state, PKCE): the token is used only to learn a verified address (<see cref="VerifiedAddressRule"/>);
/// the portal then starts its own recipient session and the external ticket is dropped (no external cookie).
/// </summary>
public static class ExternalSignInCallback
{
    public const string LinkItem = "omeportal:link";
    public const string RecipientItem = "omeportal:recipient";

    public static async Task TicketReceivedAsync(TicketReceivedContext context, ExternalProvider provider)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var protection = services.GetRequiredService<IDataProtectionProvider>();
        var properties = context.Properties ?? new AuthenticationProperties();
        properties.Items.TryGetValue(LinkItem, out var linkToken);
        context.HandleResponse();

        var outcome = VerifiedAddressRule.Evaluate(RawClaims(context.Principal), provider.Kind, provider.AllowedTenantIds);
        if (outcome is not ExternalAddress.Verified verified)
        {
            // Claim types only, never their values: enough to see a missing optional claim in the app registration.
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExternalSignInCallback)).LogInformation(
                "External sign-in through {Scheme} refused ({Outcome}); the token carried the claims {ClaimTypes}.",
                context.Scheme.Name, outcome.GetType().Name, string.Join(", ", RawClaims(context.Principal).Select(c => c.Type).Distinct()));
            var kind = outcome is ExternalAddress.TenantNotAllowed ? ExternalRefusalKind.TenantNotAllowed : ExternalRefusalKind.Unverified;
            http.Response.Redirect(new ExternalSignInRefusal(kind, linkToken).PageUrl(protection));
            return;
        }

        // The handler has moved RedirectUri here.
        var returnUrl = HostingExtensions.IsLocal(context.ReturnUri) ? context.ReturnUri! : "/inbox";
        if (properties.Items.TryGetValue(RecipientItem, out var recipientValue) && Guid.TryParse(recipientValue, out var recipientId))
        {
            // Started from a message's link: the account must be that message's recipient.
            var db = services.GetRequiredService<OmePortalDbContext>();
            var recipient = await db.Recipients.AsNoTracking().SingleOrDefaultAsync(r => r.Id == recipientId, http.RequestAborted);
            if (recipient is null || !string.Equals(AddressNormalizer.Normalize(recipient.Address), verified.Address, StringComparison.OrdinalIgnoreCase))
            {
                http.Response.Redirect(new ExternalSignInRefusal(ExternalRefusalKind.Mismatch, linkToken).PageUrl(protection));
                return;
            }

            await RecipientAuthenticationHandler.SignInAsync(http, AddressNormalizer.Normalize(recipient.Address), provider.Method);
            await services.GetRequiredService<AuditLog>().RecordAsync(
                recipient.TenantId, AuditEventKind.SignedIn, verified.Address, recipient.MessageId, recipient.Id, provider.Method, http.RequestAborted);
            http.Response.Redirect(returnUrl);
            return;
        }

        // From /signin: the verified address is the session's; it only ever sees its own messages.
        // No message, so no tenant to file an audit event under: the session row keeps the method.
        await RecipientAuthenticationHandler.SignInAsync(http, verified.Address, provider.Method);
        http.Response.Redirect(returnUrl);
    }

    // Microsoft.Identity.Web maps claim types (email → ClaimTypes.Email, tid → .../tenantid) whatever
    // MapInboundClaims says; the rule speaks the token's own names, so the map is undone here.
    private static readonly Dictionary<string, string> Unmapped = JsonWebTokenHandler.DefaultInboundClaimTypeMap
        .GroupBy(pair => pair.Value, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);

    private static IEnumerable<Claim> RawClaims(ClaimsPrincipal? principal) =>
        (principal?.Claims ?? []).Select(c => Unmapped.TryGetValue(c.Type, out var raw) && !RawTypeExists(principal!, raw) ? new Claim(raw, c.Value, c.ValueType) : c);

    private static bool RawTypeExists(ClaimsPrincipal principal, string type) => principal.HasClaim(c => c.Type == type);

    public static Task RemoteFailureAsync(RemoteFailureContext context)
    {
        var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExternalSignInCallback));
        logger.LogWarning(context.Failure, "External sign-in through {Scheme} failed.", context.Scheme.Name);
        string? linkToken = null;
        context.Properties?.Items.TryGetValue(LinkItem, out linkToken);
        context.HandleResponse();
        context.Response.Redirect(new ExternalSignInRefusal(ExternalRefusalKind.Failed, linkToken)
            .PageUrl(context.HttpContext.RequestServices.GetRequiredService<IDataProtectionProvider>()));
        return Task.CompletedTask;
    }

    /// <summary>The settings every external scheme shares, whatever registered it.</summary>
    public static void Harden(OpenIdConnectOptions options, ExternalProvider provider)
    {
        options.ResponseType = "code";
        options.UsePkce = true;
        options.ResponseMode = "form_post";
        options.SaveTokens = false;
        options.GetClaimsFromUserInfoEndpoint = false;
        // Raw claim names (email, email_verified, tid, xms_edov, preferred_username) for the rule.
        options.MapInboundClaims = false;
        options.CallbackPath = provider.CallbackPath;
        options.Events.OnAuthorizationCodeReceived = ExternalClientCredentials.AttachAssertionAsync;
        options.Events.OnTicketReceived = context => TicketReceivedAsync(context, provider);
        options.Events.OnRemoteFailure = RemoteFailureAsync;
        options.Events.OnAccessDenied = context =>
        {
            context.HandleResponse();
            string? linkToken = null;
            context.Properties?.Items.TryGetValue(LinkItem, out linkToken);
            context.Response.Redirect(new ExternalSignInRefusal(ExternalRefusalKind.Failed, linkToken)
                .PageUrl(context.HttpContext.RequestServices.GetRequiredService<IDataProtectionProvider>()));
            return Task.CompletedTask;
        };
    }
}
