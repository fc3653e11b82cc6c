using Microsoft.Extensions.Options;
using OmePortal.Core.Vault;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Vault;

/// <summary>
/// Holds the master key for the life of the process. A KMS/HSM-backed implementation would replace
/// this type; nothing else touches the master key.
/// </summary>
/// <remarks>
/// Where the key may come from is checked here, before it is used: outside Development a key file
/// inside the data directory is refused (unless <see cref="VaultOptions.AllowKeyInDataDirectory"/>),
/// and a key file readable by group or others, or owned by another user, is refused in every
/// environment (README, "Behind a reverse proxy, and where the master key lives").
/// </remarks>
public sealed class MasterKeyHolder(IOptions<VaultOptions> vault, IOptions<OmePortalOptions> portal, IHostEnvironment environment) : IDisposable
{
    private readonly Lazy<MasterKey> _key = new(() => Load(vault.Value, portal.Value, environment), LazyThreadSafetyMode.ExecutionAndPublication);

    public MasterKey Key => _key.Value;

    private static MasterKey Load(VaultOptions vault, OmePortalOptions portal, IHostEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(vault.MasterKey))
        {
            return MasterKey.FromBase64(vault.MasterKey);
        }

        var path = Path.GetFullPath(vault.MasterKeyFile ?? portal.ResolveDataPath("master.key"));
        var dataDirectory = portal.ResolveDataPath();
        if (!environment.IsDevelopment() && !vault.AllowKeyInDataDirectory && IsInside(path, dataDirectory))
        {
            throw new MasterKeyFileException(
                $"The master key file '{path}' is inside the data directory '{dataDirectory}', so every copy or backup of the data would carry the key that opens it. " +
                $"Move it elsewhere (e.g. /etc/omeportal/master.key, owner-only) and set {VaultOptions.Section}:MasterKeyFile, or set {VaultOptions.Section}:AllowKeyInDataDirectory=true to accept the risk.");
        }

        if (File.Exists(path))
        {
            KeyFilePermissions.EnsureOwnerOnly(path);
        }

        return MasterKey.LoadOrCreate(path);
    }

    internal static bool IsInside(string path, string directory)
    {
        var relative = Path.GetRelativePath(directory, path);
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    public void Dispose()
    {
        if (_key.IsValueCreated)
        {
            _key.Value.Dispose();
        }
    }
}

/// <summary>The master key file is where it must not be, or others can read it. The message says what to do.</summary>
public sealed class MasterKeyFileException(string message) : Exception(message);
