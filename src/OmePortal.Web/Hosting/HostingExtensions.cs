using System.Globalization;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OmePortal.Web.Home;
using OmePortal.Web.Hosting;
using OmePortal.Web.Tenancy;

namespace Microsoft.Extensions.DependencyInjection;

public static class HostingExtensions
{
    public static readonly CultureInfo[] SupportedCultures = [new("en"), new("nl")];

    /// <summary>Shared options, time, readiness, start-up initialisation, localisation and pages.</summary>
    public static WebApplicationBuilder AddPortalHosting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OmePortalOptions>().BindConfiguration(OmePortalOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<BootstrapOptions>().BindConfiguration(BootstrapOptions.Section);
        builder.AddReverseProxySupport();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<PublicUrls>();
        builder.Services.AddSingleton<PortalInitializer>();
        builder.Services.AddSingleton<TenantProvisioner>();
        builder.Services.AddSingleton<OmePortal.Web.DevOutbox.DevOutboxReader>();
        // No ResourcesPath: resource names then equal the anchor types' full names; each feature keeps its
        // strings beside its code (Access/AccessResource.resx for OmePortal.Web.Access.AccessResource).
        builder.Services.AddLocalization();
        builder.Services.AddSingleton<Microsoft.Extensions.Localization.ResourceManagerStringLocalizerFactory>();
        builder.Services.Replace(ServiceDescriptor.Singleton<Microsoft.Extensions.Localization.IStringLocalizerFactory, CachingStringLocalizerFactory>());
        // Pages live beside their feature's code (Access/Code.cshtml); every page names its route with @page,
        // so the root is the project and no URL depends on a folder (docs/ARCHITECTURE.md §2).
        builder.Services.AddRazorPages(o => o.RootDirectory = "/").AddViewLocalization().AddDataAnnotationsLocalization(o =>
            o.DataAnnotationLocalizerProvider = (type, factory) =>
            {
                var anchor = (type.GetCustomAttributes(typeof(LocalizedWithAttribute), false).FirstOrDefault()
                    ?? type.DeclaringType?.GetCustomAttributes(typeof(LocalizedWithAttribute), false).FirstOrDefault()) as LocalizedWithAttribute;
                return factory.Create(anchor?.Resource ?? typeof(OmePortal.Web.Shared.SharedResource));
            });
        builder.Services.Configure<RequestLocalizationOptions>(o =>
        {
            o.DefaultRequestCulture = new RequestCulture("en");
            o.SupportedCultures = SupportedCultures;
            o.SupportedUICultures = SupportedCultures;
        });
        return builder;
    }

    /// <summary>Security headers (docs/ARCHITECTURE.md §11), localisation, static files, authentication.</summary>
    public static WebApplication UsePortalPipeline(this WebApplication app)
    {
        // First: everything after it (HSTS, the rate limiters, the OpenID Connect redirect_uri) sees the real client and scheme.
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler();
            app.UseHsts();
        }

        app.UseErrorPages();
        app.UseDevOutboxLoopbackOnly();
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy =
                $"default-src 'self'; img-src 'self' data:; style-src 'self' 'nonce-{CspNonce.Get(context)}'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            await next();
        });
        app.UseRequestLocalization();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>
    /// <c>GET /language/{culture}?returnUrl=…</c>: remembers the reader's language choice in the
    /// culture cookie (a preference, not state worth a POST) and goes back.
    /// </summary>
    public static IEndpointRouteBuilder MapLanguageSwitch(this IEndpointRouteBuilder app)
    {
        app.MapGet("/language/{culture}", (string culture, string? returnUrl, HttpContext context) =>
        {
            if (!SupportedCultures.Any(c => c.Name == culture))
            {
                return Results.NotFound();
            }

            context.Response.Cookies.Append(
                CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { Path = "/", Secure = true, HttpOnly = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), IsEssential = true });
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
        });
        return app;
    }

    /// <summary>
    /// A redirect target that stays on this site: the framework's rule for local URLs (no scheme or host,
    /// no "//" or "/\\", no control character anywhere: browsers drop a TAB or newline, so "/\t/evil.example"
    /// would become "//evil.example"), and a path from the root, never the "~/" form that only
    /// <c>LocalRedirect</c> understands (passkeys.js and the OpenID Connect callback follow the URL as it is).
    /// </summary>
    public static bool IsLocal([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? url) =>
        url is ['/', ..] && Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult.IsLocalUrl(url);
}
