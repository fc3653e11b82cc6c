using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Hosting;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tenancy;

/// <summary>
/// Start-up work that must finish before the portal takes traffic: data folder, migrations, master
/// key, and on the very first run a default tenant with its key, brand and API key; then, while no
/// admin exists, the system admin from configuration or a one-time setup link.
/// </summary>
public sealed partial class PortalInitializer(
    IServiceProvider services,
    IOptions<OmePortalOptions> portal,
    IOptions<BootstrapOptions> bootstrap,
    MasterKeyHolder master,
    TenantProvisioner tenants,
    Readiness readiness,
    ILogger<PortalInitializer> logger)
{
    public const string InitialApiKeyFile = "initial-api-key.txt";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = portal.Value.ResolveDataPath();
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dataDirectory);
        }
        else
        {
            // Keys, the database and ciphertext live here: owner only.
            Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _ = master.Key; // creates the key file on first run, fails fast on a bad one

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await db.Database.MigrateAsync(cancellationToken);
            if (!await db.Tenants.AnyAsync(cancellationToken))
            {
                await CreateFirstTenantAsync(db, scope.ServiceProvider.GetRequiredService<ApiKeys>(), cancellationToken);
            }

            await SeedAcceptedDomainsAsync(db, scope.ServiceProvider.GetRequiredService<OmePortal.Web.Audit.AuditLog>(), cancellationToken);

            await scope.ServiceProvider.GetRequiredService<OmePortal.Web.Admin.AdminBootstrap>().EnsureSystemAdminAsync(cancellationToken);
        }

        readiness.MarkInitialized();
    }

    private async Task CreateFirstTenantAsync(OmePortalDbContext db, ApiKeys apiKeys, CancellationToken cancellationToken)
    {
        var options = bootstrap.Value;
        var tenant = tenants.Add(db, options.TenantSlug, options.TenantName);

        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? ApiKeys.NewKey() : options.ApiKey.Trim();
        apiKeys.Add(tenant.Id, "Initial key", key);
        await db.SaveChangesAsync(cancellationToken);

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            // Only the file holds the key: the console and the log are often kept and read elsewhere (journald, shipped logs).
            var file = portal.Value.ResolveDataPath(InitialApiKeyFile);
            await OwnerOnlyFile.WriteAsync(file, key, cancellationToken);
            LogApiKeyWritten(tenant.Slug, file);
        }

        LogBootstrapped(tenant.Slug);
    }

    /// <summary>
    /// The first tenant's accepted domains from configuration: on the first run, and on a later start while that
    /// tenant has none (an installation upgraded to sender binding), so that its operator can set them without the UI.
    /// Domains an admin has set are never replaced from here.
    /// </summary>
    private async Task SeedAcceptedDomainsAsync(OmePortalDbContext db, OmePortal.Web.Audit.AuditLog audit, CancellationToken cancellationToken)
    {
        var wanted = bootstrap.Value.AcceptedDomains
            .Where(d => !string.IsNullOrWhiteSpace(d))
            .Select(OmePortal.Core.Rules.Domains.Normalize)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (wanted.Count == 0)
        {
            return;
        }

        var slug = bootstrap.Value.TenantSlug;
        var tenantId = await db.Tenants.Where(t => t.Slug == slug).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(cancellationToken);
        if (tenantId is not { } id || await db.TenantDomains.AnyAsync(d => d.TenantId == id, cancellationToken))
        {
            return;
        }

        db.TenantDomains.AddRange(wanted.Select(d => new TenantDomainRecord { TenantId = id, Domain = d }));
        audit.Add(id, AuditEventKind.TenantChanged, OmePortal.Web.Audit.AuditLog.SystemActor, detail: "accepted domains from configuration: " + string.Join(",", wanted));
        await db.SaveChangesAsync(cancellationToken);
        LogDomainsSeeded(slug, wanted.Count);
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Tenant '{Slug}': {Count} accepted domain(s) set from OmePortal:Bootstrap:AcceptedDomains.")]
    private partial void LogDomainsSeeded(string slug, int count);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "First run: the API key of tenant '{Slug}' is in {ApiKeyFile} (owner-only). Keep it somewhere safe and delete the file.")]
    private partial void LogApiKeyWritten(string slug, string apiKeyFile);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "First run: tenant '{Slug}' created with the default brand.")]
    private partial void LogBootstrapped(string slug);
}
