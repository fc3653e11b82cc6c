using OmePortal.Web.Vault;

namespace Microsoft.Extensions.DependencyInjection;

public static class VaultExtensions
{
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
        return builder;
    }

    private static bool IsKey(string base64)
    {
        Span<byte> buffer = stackalloc byte[48];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var written) && written == 32;
    }
}
