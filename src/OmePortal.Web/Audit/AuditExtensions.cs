using OmePortal.Web.Admin.Audit;
using OmePortal.Data;

namespace OmePortal.Web.Audit;

public static class AuditExtensions
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<RecipientAuditTrail>();
        builder.Services.AddScoped<AuditQueries>();
        builder.Services.AddScoped<OmePortal.Web.Admin.Trace.MessageTrace>();

        // Composed with the providers' own configuration (AddStorage), whichever of them serves.
        builder.Services.ConfigureDbContext<SqliteOmePortalDbContext>(o => o.AddInterceptors(AppendOnlyAuditGuard.Interceptors));
        builder.Services.ConfigureDbContext<PostgresOmePortalDbContext>(o => o.AddInterceptors(AppendOnlyAuditGuard.Interceptors));
        return builder;
    }
}
