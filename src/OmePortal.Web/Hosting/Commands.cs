using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Hosting;

/// <summary>
/// Maintenance verbs run instead of the server (README, "Maintenance commands"):
/// <c>rotate-tenant-key [slug]</c> and <c>rotate-master-key --new-key-file PATH</c> (or the new key, base64, in
/// <c>OMEPORTAL_NEW_MASTER_KEY</c>).
/// </summary>
public static class Commands
{
    public const string NewMasterKeyVariable = "OMEPORTAL_NEW_MASTER_KEY";

    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "rotate-tenant-key":
                await RotateTenantKeyAsync(app, args);
                return true;
            case "rotate-master-key":
                await RotateMasterKeyAsync(app, args);
                return true;
            default:
                return false;
        }
    }

    private static async Task RotateTenantKeyAsync(WebApplication app, string[] args)
    {
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
                return;
            }

            var version = await app.Services.GetRequiredService<TenantKeyRing>().RotateAsync(db, tenant.Id, CancellationToken.None);
            Console.WriteLine($"Tenant '{slug}': key version {version} is now active.");
        }

        var rewrapped = await KeyRewrapService.RewrapAllAsync(scopes, CancellationToken.None);
        Console.WriteLine($"Re-wrapped {rewrapped} message key(s); unused versions retired.");
    }

    /// <summary>
    /// Re-wraps everything under a new master key. Run it with every portal node stopped; afterwards put
    /// the new key where the configuration points and start the nodes again (README, "Rotating the master key").
    /// </summary>
    private static async Task RotateMasterKeyAsync(WebApplication app, string[] args)
    {
        MasterKey next;
        try
        {
            next = LoadNewMasterKey(args);
        }
        catch (Exception exception) when (exception is ArgumentException or IOException or InvalidDataException or MasterKeyFileException)
        {
            Console.Error.WriteLine($"rotate-master-key: {exception.Message}");
            Environment.ExitCode = 2;
            return;
        }

        using (next)
        {
            await app.Services.GetRequiredService<PortalInitializer>().InitializeAsync(CancellationToken.None);
            var current = app.Services.GetRequiredService<MasterKeyHolder>().Key;
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            try
            {
                var result = await MasterKeyRotation.RotateAsync(db, current, next, CancellationToken.None);
                Console.WriteLine($"Re-wrapped {result.TenantKeys} tenant key(s) and re-encrypted {result.DataProtectionKeys} Data Protection key(s) under the new master key.");
                Console.WriteLine("Now replace the master key the portal is configured with by the new key, start the portal, and then destroy every copy of the old key: it opens nothing any more.");
            }
            catch (Exception exception) when (exception is ArgumentException or VaultIntegrityException)
            {
                Console.Error.WriteLine($"rotate-master-key: {exception.Message} Nothing was changed.");
                Environment.ExitCode = 2;
            }
        }
    }

    private static MasterKey LoadNewMasterKey(string[] args)
    {
        var fileFlag = Array.IndexOf(args, "--new-key-file");
        if (fileFlag > 0)
        {
            if (fileFlag + 1 >= args.Length)
            {
                throw new ArgumentException("--new-key-file needs the path of the new key file.");
            }

            var path = Path.GetFullPath(args[fileFlag + 1]);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"There is no new master key file at '{path}'.", path);
            }

            KeyFilePermissions.EnsureOwnerOnly(path);
            return MasterKey.Load(path);
        }

        if (Environment.GetEnvironmentVariable(NewMasterKeyVariable) is { Length: > 0 } base64)
        {
            return MasterKey.FromBase64(base64);
        }

        throw new ArgumentException($"Give the new master key: --new-key-file PATH (an owner-only file holding 32 random bytes as base64), or the base64 in {NewMasterKeyVariable}.");
    }
}
