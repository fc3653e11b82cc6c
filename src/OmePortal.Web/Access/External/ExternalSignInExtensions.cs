using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Identity.Web;
using OmePortal.Web.Access.External;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Sign-in with a Microsoft account (<c>AzureAd</c> section, Microsoft.Identity.Web) or any OpenID
/// Connect provider (<c>OmePortal:ExternalSignIn:Providers:&lt;name&gt;</c>), each registered only when
/// configured. None becomes a default scheme: the recipient session stays the portal's only sign-in.
/// Also the passkey offer shown after a sign-in that was not a passkey.
/// </summary>
public static class ExternalSignInExtensions
{
    public static WebApplicationBuilder AddExternalSignIn(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var providers = new List<ExternalProvider>();
        var authentication = builder.Services.AddAuthentication();

        var azure = configuration.GetSection("AzureAd");
        if (!string.IsNullOrWhiteSpace(azure["ClientId"]))
        {
            var instance = string.IsNullOrWhiteSpace(azure["Instance"]) ? "https://login.microsoftonline.com/" : azure["Instance"]!;
            var microsoft = new ExternalProvider(
                ExternalProviders.MicrosoftName,
                ExternalProviders.MicrosoftScheme,
                DisplayName: null,
                ExternalProviderKind.Microsoft,
                ExternalProviders.MicrosoftMethod,
                azure.GetSection("AllowedTenantIds").Get<string[]>() ?? [],
                string.IsNullOrWhiteSpace(azure["CallbackPath"]) ? "/signin-oidc" : azure["CallbackPath"]!,
                ExternalProviders.OriginOf(instance));
            authentication.AddMicrosoftIdentityWebApp(
                options =>
                {
                    azure.Bind(options);
                    options.Instance = instance;
                    options.ResponseType = "code";
                },
                configureCookieAuthenticationOptions: null,
                openIdConnectScheme: microsoft.Scheme,
                cookieScheme: null);
            // Microsoft.Identity.Web does not carry this setting over; the metadata check needs it before post-configuration.
            var requireHttpsMetadata = azure.GetValue("RequireHttpsMetadata", true);
            builder.Services.Configure<OpenIdConnectOptions>(microsoft.Scheme, o => o.RequireHttpsMetadata = requireHttpsMetadata);
            ExternalClientCredentials.Add(builder.Services, microsoft.Scheme, azure, CertificateClientAssertion.JwtType, ClientAssertionAudience.TokenEndpoint);
            providers.Add(microsoft);
        }

        foreach (var section in configuration.GetSection(ExternalProviders.ProvidersSection).GetChildren())
        {
            var name = section.Key.ToLowerInvariant();
            var options = section.Get<ExternalProviderOptions>() ?? new ExternalProviderOptions();
            if (!ExternalProviders.IsValidName(name))
            {
                throw new InvalidOperationException($"External sign-in provider name '{section.Key}' must be 1-24 of a-z, 0-9 and '-', and not 'microsoft'.");
            }

            if (string.IsNullOrWhiteSpace(options.Authority) || string.IsNullOrWhiteSpace(options.ClientId))
            {
                throw new InvalidOperationException($"External sign-in provider '{name}' needs an Authority and a ClientId.");
            }

            var provider = new ExternalProvider(
                name,
                "oidc-" + name,
                string.IsNullOrWhiteSpace(options.DisplayName) ? name : options.DisplayName,
                ExternalProviderKind.OpenIdConnect,
                OmePortal.Core.Access.SignInChoices.OpenIdConnectMethodPrefix + name,
                options.AllowedTenantIds,
                string.IsNullOrWhiteSpace(options.CallbackPath) ? "/signin-oidc-" + name : options.CallbackPath,
                ExternalProviders.OriginOf(options.Authority))
            {
                Tenants = ExternalProviders.ParseTenants(name, options.Tenants),
            };
            authentication.AddOpenIdConnect(provider.Scheme, provider.DisplayName, o =>
            {
                o.Authority = options.Authority;
                o.ClientId = options.ClientId;
                o.ClientSecret = options.ClientSecret;
                o.RequireHttpsMetadata = options.RequireHttpsMetadata;
                o.Scope.Clear();
                o.Scope.Add("openid");
                foreach (var scope in options.Scopes.Length > 0 ? options.Scopes : ["email", "profile"])
                {
                    o.Scope.Add(scope);
                }
            });
            ExternalClientCredentials.Add(builder.Services, provider.Scheme, section, CertificateClientAssertion.ClientAuthenticationType, options.ClientAssertionAudience);
            providers.Add(provider);
        }

        var registry = new ExternalProviders(providers);
        builder.Services.AddSingleton(registry);
        builder.Services.TryAddTransient<RateLimitedOpenIdConnectHandler>();
        foreach (var provider in providers)
        {
            builder.Services.PostConfigure<OpenIdConnectOptions>(provider.Scheme, o => ExternalSignInCallback.Harden(o, provider));
        }

        builder.Services.Configure<AuthenticationOptions>(o =>
        {
            foreach (var provider in providers)
            {
                o.SchemeMap[provider.Scheme].HandlerType = typeof(RateLimitedOpenIdConnectHandler);
            }
        });

        if (registry.Any)
        {
            builder.Services.AddSingleton<IStartupFilter>(new ExternalFormActionFilter(registry));
        }

        return builder;
    }

    public static IEndpointRouteBuilder MapExternalSignIn(this IEndpointRouteBuilder app)
    {
        ExternalSignInEndpoints.Map(app, app.ServiceProvider.GetRequiredService<ExternalProviders>());
        return app;
    }

    /// <summary>
    /// The sign-in buttons are forms whose POST is answered with a redirect to the provider, and
    /// browsers apply the page's CSP <c>form-action</c> to that redirect too: the providers' origins
    /// (and nothing else) are added to <c>form-action 'self'</c>.
    /// </summary>
    private sealed class ExternalFormActionFilter(ExternalProviders providers) : IStartupFilter
    {
        private readonly string _formAction = "form-action 'self' " + string.Join(' ', providers.All
            .SelectMany(p => p.Origin is null ? [] : p.Origin.Equals("https://login.microsoftonline.com", StringComparison.OrdinalIgnoreCase)
                ? new[] { p.Origin, "https://login.live.com" } // personal accounts continue there
                : [p.Origin])
            .Distinct(StringComparer.OrdinalIgnoreCase));

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Response.OnStarting(() =>
                {
                    var csp = context.Response.Headers.ContentSecurityPolicy.ToString();
                    if (csp.Contains("form-action 'self'", StringComparison.Ordinal))
                    {
                        context.Response.Headers.ContentSecurityPolicy = csp.Replace("form-action 'self'", _formAction, StringComparison.Ordinal);
                    }

                    return Task.CompletedTask;
                });
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
