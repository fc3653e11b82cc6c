using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OmePortal.Web.Hosting;
using OmePortal.Data;
using OmePortal.Web.Admin;
using OmePortal.Web.Admin.Passkeys;

namespace Microsoft.Extensions.DependencyInjection;

public static class AdminExtensions
{
    /// <summary>Rate-limiter policy for the admin sign-in pages (per client address).</summary>
    public const string SignInRateLimit = "admin-sign-in";

    /// <summary>
    /// Admin accounts (Identity with EF stores, password + authenticator), the admin cookies, the
    /// policies, and the folder conventions that protect every page under /Admin.
    /// </summary>
    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(AdminOptions.Section).Get<AdminOptions>() ?? new AdminOptions();

        // AddIdentityCore, not AddIdentity: AddIdentity would make its cookie the default scheme and
        // take the recipient portal's place.
        builder.Services.AddIdentityCore<AdminUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.SignIn.RequireConfirmedAccount = false;
                // Length, not composition rules (ASVS 6.2.5).
                o.Password.RequiredLength = options.MinimumPasswordLength;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 1;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = options.MaxFailedAttempts;
                o.Lockout.DefaultLockoutTimeSpan = options.LockoutDuration;
                o.Tokens.AuthenticatorIssuer = "OmePortal";
            })
            .AddEntityFrameworkStores<OmePortalDbContext>()
            .AddSignInManager<AdminSignInManager>()
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddDefaultTokenProviders()
            .AddTokenProvider<OneTimeAuthenticatorTokenProvider>(TokenOptions.DefaultAuthenticatorProvider) // replaces Identity's, which accepts a code twice
            .AddClaimsPrincipalFactory<AdminClaimsPrincipalFactory>();
        // Second factors encrypted and hashed at rest instead of Identity's plain token rows.
        builder.Services.Replace(ServiceDescriptor.Scoped<IUserStore<AdminUser>, AdminUserStore>());
        builder.Services.AddHostedService<AdminSecretsUpgrade>();

        builder.Services.AddAuthentication()
            .AddCookie(IdentityConstants.ApplicationScheme, o =>
            {
                o.Cookie.Name = AdminAuthentication.CookieName;
                Harden(o.Cookie);
                o.LoginPath = AdminAuthentication.SignInPath;
                o.LogoutPath = "/admin/account/signout";
                o.ExpireTimeSpan = options.SessionIdleTimeout;
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = async context =>
                {
                    await SecurityStampValidator.ValidatePrincipalAsync(context);
                    await AdminSessions.OnValidatePrincipalAsync(context);
                };
                o.Events.OnSigningIn = AdminSessions.OnSigningInAsync;
                o.Events.OnRedirectToAccessDenied = context =>
                {
                    // Signed in with the password only: the one place to go is the authenticator enrolment.
                    var identity = context.HttpContext.User.AdminIdentity();
                    if (identity is not null && !identity.HasSecondFactor())
                    {
                        context.Response.Redirect(AdminAuthentication.EnrolPath);
                    }
                    else
                    {
                        context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    }

                    return Task.CompletedTask;
                };
            })
            .AddCookie(IdentityConstants.TwoFactorUserIdScheme, o =>
            {
                o.Cookie.Name = AdminAuthentication.TwoFactorCookieName;
                Harden(o.Cookie);
                o.ExpireTimeSpan = TimeSpan.FromMinutes(5);
            })
            // Never set (no "remember this device"), but SignInManager asks it on every password sign-in.
            .AddCookie(IdentityConstants.TwoFactorRememberMeScheme, o =>
            {
                o.Cookie.Name = AdminAuthentication.RememberCookieName;
                Harden(o.Cookie);
            });
        builder.Services.Configure<SecurityStampValidatorOptions>(o =>
        {
            o.ValidationInterval = TimeSpan.FromMinutes(1);
            o.OnRefreshingPrincipal = AdminAuthentication.KeepSignInFacts;
        });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicies.SignedIn, p => p.AddAuthenticationSchemes(AdminAuthentication.Scheme).RequireAuthenticatedUser())
            .AddPolicy(AdminPolicies.TenantAdmin, p => p.AddAuthenticationSchemes(AdminAuthentication.Scheme).RequireAuthenticatedUser()
                .RequireClaim(AdminAuthentication.MethodClaim, AdminAuthentication.TwoFactorMethod))
            .AddPolicy(AdminPolicies.SystemAdmin, p => p.AddAuthenticationSchemes(AdminAuthentication.Scheme).RequireAuthenticatedUser()
                .RequireClaim(AdminAuthentication.MethodClaim, AdminAuthentication.TwoFactorMethod)
                .RequireAssertion(c => c.User.AdminIdentity() is { } identity && !identity.HasClaim(x => x.Type == AdminAuthentication.TenantClaim)));

        builder.Services.Configure<RazorPagesOptions>(o =>
        {
            // Every page under /Admin needs both factors unless it is named in AdminPolicies: a new page,
            // in Account/ too, is protected without doing anything (AdminAuthorizationTests checks each one).
            o.Conventions.AddFolderApplicationModelConvention("/Admin", model =>
            {
                if (AdminPolicies.PagesBeforeSignIn.Contains(model.ViewEnginePath, StringComparer.Ordinal))
                {
                    model.EndpointMetadata.Add(new AllowAnonymousAttribute());
                }
                else
                {
                    model.EndpointMetadata.Add(new AuthorizeAttribute(
                        AdminPolicies.PagesWithPasswordOnly.Contains(model.ViewEnginePath, StringComparer.Ordinal) ? AdminPolicies.SignedIn : AdminPolicies.TenantAdmin));
                }
            });
            o.Conventions.AuthorizeFolder("/Admin/SystemAdmin", AdminPolicies.SystemAdmin);
        });

        builder.Services.AddScoped<AdminScope>();
        builder.Services.AddScoped<SetupChecklist>();
        builder.Services.AddScoped<AdminAccounts>();
        builder.Services.AddScoped<AdminSessions>();
        builder.Services.AddScoped<AdminLifecycle>();
        builder.Services.AddScoped<AdminBootstrap>();
        builder.Services.AddScoped<AdminSignInAudit>();
        builder.Services.AddScoped<AuthenticatorEnrolment>();
        builder.Services.AddScoped<AdminPasskeyCeremonies>();
        builder.Services.AddRateLimiter(o => o.AddPerClientPerMinutePolicy(SignInRateLimit, _ => options.SignInRequestsPerMinutePerClient));
        return builder;
    }

    /// <summary>The admin endpoints that are not Razor Pages: the passkey ceremonies.</summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        AdminPasskeyEndpoints.Map(app);
        return app;
    }

    /// <summary>Fills <see cref="AdminScope"/> for every request under /admin (after authentication and authorisation).</summary>
    public static WebApplication UseAdmin(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase), branch => branch.Use(async (context, next) =>
        {
            await context.RequestServices.GetRequiredService<AdminScope>()
                .InitializeAsync(context, context.RequestServices.GetRequiredService<OmePortalDbContext>());
            context.Response.Headers.CacheControl = "no-cache, no-store";
            if (await MustChangePasswordFirstAsync(context))
            {
                context.Response.Redirect(AdminAuthentication.ChangePasswordPath);
                return;
            }

            await next();
        }));
        return app;
    }

    /// <summary>The paths an admin who must change their password may still reach: the change itself, and signing in and out.</summary>
    private static readonly string[] PathsBeforePasswordChange =
        [AdminAuthentication.ChangePasswordPath, "/admin/account/signout", "/admin/account/signedout", AdminAuthentication.SignInPath,
         "/admin/account/twofactor", AdminAuthentication.EnrolPath, AdminAccounts.SetupPath, AdminPasskeyEndpoints.BasePath + "/signin"];

    /// <summary>
    /// An initial password chosen by a system admin is changed before anything else in /admin opens: every
    /// other admin page, handler and endpoint sends such an admin to the change page.
    /// </summary>
    private static async Task<bool> MustChangePasswordFirstAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (PathsBeforePasswordChange.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        var identity = (await context.AuthenticateAsync(AdminAuthentication.Scheme)).Principal?.AdminIdentity();
        return identity is not null && identity.HasClaim(c => c.Type == AdminAuthentication.MustChangePasswordClaim);
    }

    private static void Harden(Microsoft.AspNetCore.Http.CookieBuilder cookie)
    {
        cookie.HttpOnly = true;
        cookie.SecurePolicy = CookieSecurePolicy.Always;
        cookie.SameSite = SameSiteMode.Strict;
        cookie.Path = "/";
        cookie.IsEssential = true;
    }
}
