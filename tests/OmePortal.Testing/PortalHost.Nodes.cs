using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OmePortal.Web.Storage;

namespace OmePortal.Testing;

public sealed partial class PortalHost
{
    /// <summary>Settings that belong to one node (its own data directory, address and ports); everything else a second node shares.</summary>
    private static readonly HashSet<string> NodeOwnSettings = ["OmePortal:DataDirectory", "OmePortal:PublicBaseUrl", "OmePortal:Smtp:Port"];

    /// <summary>
    /// A second node of this portal, for work shared by several nodes: its own ports, data directory and in-process
    /// services, but this host's PostgreSQL database, master key, API key and blob store (with blobs as files, this
    /// host's blob directory, as a shared volume would be). Start it after this host has started (which migrated the
    /// database); this host drops the database when it is disposed, the node never does.
    /// </summary>
    public PortalHost AnotherNode(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? serviceOverrides = null)
    {
        if (Storage is not (StorageKind.Postgres or StorageKind.PostgresAzureBlob))
        {
            throw new InvalidOperationException("Nodes share a PostgreSQL database; a SQLite file belongs to one node.");
        }

        var shared = _settings.Where(s => !NodeOwnSettings.Contains(s.Key)).ToDictionary(s => s.Key, s => s.Value);
        shared["OmePortal:Vault:MasterKeyFile"] = _settings.GetValueOrDefault("OmePortal:Vault:MasterKeyFile") ?? Path.Combine(DataDirectory, "master.key");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            shared[key] = value;
        }

        var blobDirectory = BlobDirectory;
        // Made as a SQLite host so that it creates no database of its own; the shared settings point it at this one.
        var node = new PortalHost(StorageKind.Sqlite, shared)
        {
            Storage = Storage,
            ServiceOverrides = services =>
            {
                if (!string.Equals(shared.GetValueOrDefault("OmePortal:Blobs:Provider"), "AzureBlob", StringComparison.OrdinalIgnoreCase))
                {
                    services.RemoveAll<IBlobStore>();
                    services.AddSingleton<IBlobStore>(new FileBlobStore(blobDirectory));
                }

                serviceOverrides?.Invoke(services);
            },
            ApiKey = ApiKey,
        };
        return node;
    }
}
