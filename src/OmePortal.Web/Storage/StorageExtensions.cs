using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Hosting;
using OmePortal.Web.Storage;

namespace Microsoft.Extensions.DependencyInjection;

public static class StorageExtensions
{
    /// <summary>The database (SQLite by default, PostgreSQL by configuration) and the blob store.</summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .Validate(o => o.Provider != DatabaseProvider.Postgres || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "OmePortal:Database:ConnectionString is required when Provider is Postgres.")
            .ValidateOnStart();

        // Both contexts are registered (each carries its provider's migrations); which one serves
        // OmePortalDbContext is decided from options when first resolved, so test hosts can override it.
        // Pooled: building a context's options and its internal services on every request was a
        // measurable share of a page's CPU (bench/RESULTS.md); a pooled context is reset when returned.
        builder.Services.AddDbContextPool<SqliteOmePortalDbContext>((sp, o) =>
        {
            var database = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var connectionString = database.ConnectionString
                ?? $"Data Source={sp.GetRequiredService<IOptions<OmePortalOptions>>().Value.ResolveDataPath("omeportal.db")}";
            o.UseSqlite(connectionString).KeepConnectionsOpen()
                .AddInterceptors(SqliteDurabilityInterceptor.Instance, SqliteStatementCache.Instance);
        });
        builder.Services.AddDbContextPool<PostgresOmePortalDbContext>((sp, o) =>
            o.UseNpgsql(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString));
        builder.Services.AddScoped<OmePortalDbContext>(sp =>
        {
            if (sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.Postgres)
            {
                return sp.GetRequiredService<PostgresOmePortalDbContext>();
            }

            // EF opens and closes the connection around every query; kept open instead (see KeepOpen).
            var sqlite = sp.GetRequiredService<SqliteOmePortalDbContext>();
            SqliteConnections.KeepOpen(sqlite);
            return sqlite;
        });

        builder.Services.AddOptions<BlobOptions>()
            .BindConfiguration(BlobOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BlobOptions>, BlobOptionsValidation>();
        builder.Services.AddSingleton<IBlobStore>(sp =>
            sp.GetRequiredService<IOptions<BlobOptions>>().Value is { Provider: BlobProvider.AzureBlob } blobs
                ? new AzureBlobStore(AzureBlobStore.ContainerFor(blobs.AzureBlob))
                : new FileBlobStore(sp.GetRequiredService<IOptions<OmePortalOptions>>().Value.ResolveDataPath("blobs")));
        builder.Services.AddHostedService<BlobContainerStartup>();
        return builder;
    }
}
