using Microsoft.AspNetCore.Authentication;
using OmePortal.Web.Hosting;
using OmePortal.Web.Access;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Recipient sign-in: passcodes, server-side sessions, the access decision, request rate limits.</summary>
public static class AccessExtensions
{
    /// <summary>Rate-limiter policy for every passcode and sign-in endpoint (per client address).</summary>
    public const string SignInRateLimit = "recipient-sign-in";

    /// <summary>Authorisation policy: a signed-in recipient.</summary>
    public const string RecipientPolicy = "Recipient";

    public static WebApplicationBuilder AddRecipientAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PasscodeOptions>().BindConfiguration(PasscodeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<RecipientSessions>();
        builder.Services.AddScoped<RecipientAccess>();
        builder.Services.AddScoped<Passcodes>();
        // The recipient cookie is the default: every page knows who (if anyone) is signed in.
        builder.Services.AddAuthentication(RecipientAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, RecipientAuthenticationHandler>(RecipientAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(RecipientPolicy, p => p.AddAuthenticationSchemes(RecipientAuthenticationHandler.SchemeName).RequireAuthenticatedUser());

        var permitPerMinute = builder.Configuration.GetValue($"{PasscodeOptions.Section}:RequestsPerMinutePerClient", 30);
        builder.Services.AddRateLimiter(o => o.AddPerClientPerMinutePolicy(SignInRateLimit, _ => permitPerMinute));
        return builder;
    }
}
