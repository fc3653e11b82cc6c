using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using OmePortal.Data;
using OmePortal.Web.Vault;

namespace Microsoft.Extensions.DependencyInjection;

public static class VaultExtensions
{
    public const string DataProtectionApplicationName = "OmePortal";

    /// <summary>Master key, tenant key ring, memo of unwrapped message keys, message vault, and the background re-wrap after key rotation.</summary>
    public static WebApplicationBuilder AddVault(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<VaultOptions>().BindConfiguration(VaultOptions.Section)
            .Validate(o => string.IsNullOrWhiteSpace(o.MasterKey) || IsKey(o.MasterKey), "OmePortal:Vault:MasterKey must be the base64 of 32 bytes.")
            .ValidateOnStart();
        builder.Services.AddSingleton<MasterKeyHolder>();
        builder.Services.AddSingleton<TenantKeyRing>();
        builder.Services.AddSingleton<MessageKeyMemo>();
        builder.Services.AddScoped<MessageVault>();
        builder.Services.AddHostedService<KeyRewrapService>();

        // The key ring behind cookies and antiforgery tokens: in the database (shared by every node, inside
        // the backups), each key's secret encrypted under the master key; one application name, so every
        // node and every release reads the same ring whatever its path.
        builder.Services.AddDataProtection().SetApplicationName(DataProtectionApplicationName).PersistKeysToDbContext<OmePortalDbContext>();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<MasterKeyHolder>((o, master) => o.XmlEncryptor = new MasterKeyXmlEncryptor(master));
        return builder;
    }

    private static bool IsKey(string base64)
    {
        Span<byte> buffer = stackalloc byte[48];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var written) && written == 32;
    }
}
