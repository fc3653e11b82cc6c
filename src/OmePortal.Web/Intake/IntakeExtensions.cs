using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using OmePortal.Web.Intake;
using OmePortal.Web.Tenancy;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Section <c>OmePortal:Intake</c>.</summary>
public sealed class IntakeOptions
{
    public const string Section = "OmePortal:Intake";

    /// <summary>Size limit for new tenants (bytes). OME allows 25–30 MB; Exchange up to 150 MB.</summary>
    [Range(1024, 1L << 31)]
    public long DefaultMaxMessageBytes { get; set; } = 30L * 1024 * 1024;

    /// <summary>Recipients one message may have (distinct addresses, To + Cc + Bcc, or SMTP RCPT TO).</summary>
    [Range(1, 10_000)]
    public int MaxRecipients { get; set; } = 100;

    /// <summary>MIME entities (parts, multiparts, attached messages) one message may hold.</summary>
    [Range(1, 100_000)]
    public int MaxMimeParts { get; set; } = 1_000;

    /// <summary>Header lines (folded lines counted one by one) over all the entities of one message.</summary>
    [Range(10, 1_000_000)]
    public int MaxHeaderLines { get; set; } = 10_000;

    /// <summary>The limits the MIME parser enforces before it builds anything for a message.</summary>
    public OmePortal.Core.Mime.MimeLimits MimeLimits => new(MaxRecipients, MaxMimeParts, MaxHeaderLines);
}

public static class IntakeExtensions
{
    public const string ApiPolicy = "TenantApi";

    /// <summary>The ingest pipeline, API key authentication and the REST endpoints' JSON settings.</summary>
    public static WebApplicationBuilder AddIntake(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IntakeOptions>().BindConfiguration(IntakeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<ApiKeys>();
        builder.Services.AddScoped<MessageIngestor>();
        builder.Services.AddSingleton<IntakeCommitQueue>();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddAuthentication()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicy, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        return builder;
    }
}
