using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Hosting;

/// <summary>
/// Maintenance verbs run instead of the server: <c>dotnet run --project src/OmePortal.Web -- rotate-tenant-key [slug]</c>.
/// </summary>
public static class Commands
{
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != "rotate-tenant-key")
        {
            return false;
        }

        await app.Services.GetRequiredService<PortalInitializer>().InitializeAsync(CancellationToken.None);
        var slug = args.Length > 1 ? args[1] : "default";
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Slug == slug);
            if (tenant is null)
            {
                Console.Error.WriteLine($"No tenant '{slug}'.");
                Environment.ExitCode = 2;
                return true;
            }

            var version = await app.Services.GetRequiredService<TenantKeyRing>().RotateAsync(db, tenant.Id, CancellationToken.None);
            Console.WriteLine($"Tenant '{slug}': key version {version} is now active.");
        }

        var rewrapped = await KeyRewrapService.RewrapAllAsync(scopes, CancellationToken.None);
        Console.WriteLine($"Re-wrapped {rewrapped} message key(s); unused versions retired.");
        return true;
    }
}
