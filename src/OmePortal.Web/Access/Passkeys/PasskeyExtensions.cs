using Fido2NetLib;
using Microsoft.Extensions.Options;
using OmePortal.Web.Access.Passkeys;
using OmePortal.Web.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Passkeys (WebAuthn via Fido2) for recipients: registration after sign-in, discoverable sign-in.</summary>
public static class PasskeyExtensions
{
    public static WebApplicationBuilder AddPasskeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PasskeyOptions>().BindConfiguration(PasskeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Fido2 4.x has no AddFido2: the relying party is built here, on first use, when the public URL is known.
        builder.Services.AddSingleton<IFido2>(services =>
        {
            var configured = services.GetRequiredService<IOptions<PasskeyOptions>>().Value;
            var effective = new PasskeyOptions
            {
                RelyingPartyId = configured.RelyingPartyId,
                RelyingPartyName = configured.RelyingPartyName,
                Origins = [.. configured.Origins.Select(o => o.TrimEnd('/'))],
            };
            effective.DeriveDefaults(services.GetRequiredService<PublicUrls>().BaseUrl);
            return new Fido2(new Fido2Configuration
            {
                RPID = effective.RelyingPartyId!,
                RPName = effective.RelyingPartyName,
                Origins = new HashSet<string>(effective.Origins, StringComparer.Ordinal),
                Timeout = (uint)configured.CeremonyTimeout.TotalMilliseconds,
            });
        });
        builder.Services.AddSingleton<PasskeyProtocol>();
        builder.Services.AddScoped<PasskeyChallengeStore>();
        builder.Services.AddScoped<PasskeyCeremonies>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPasskeys(this IEndpointRouteBuilder app)
    {
        PasskeyEndpoints.Map(app);
        return app;
    }
}
