using Microsoft.Extensions.Options;
using OmePortal.Core.Vault;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Vault;

/// <summary>
/// Holds the master key for the life of the process. A KMS/HSM-backed implementation would replace
/// this type; nothing else touches the master key.
/// </summary>
public sealed class MasterKeyHolder(IOptions<VaultOptions> vault, IOptions<OmePortalOptions> portal) : IDisposable
{
    private readonly Lazy<MasterKey> _key = new(() => Load(vault.Value, portal.Value), LazyThreadSafetyMode.ExecutionAndPublication);

    public MasterKey Key => _key.Value;

    private static MasterKey Load(VaultOptions vault, OmePortalOptions portal)
    {
        if (!string.IsNullOrWhiteSpace(vault.MasterKey))
        {
            return MasterKey.FromBase64(vault.MasterKey);
        }

        return MasterKey.LoadOrCreate(vault.MasterKeyFile ?? portal.ResolveDataPath("master.key"));
    }

    public void Dispose()
    {
        if (_key.IsValueCreated)
        {
            _key.Value.Dispose();
        }
    }
}
