using System.Net;
using System.Net.Sockets;

namespace OmePortal.Testing;

public static class TestEnvironment
{
    /// <summary>Set by ./test.sh: a server connection string without a database, e.g. Host=127.0.0.1;Port=5433;Username=postgres.</summary>
    public const string PostgresVariable = "OMEPORTAL_TEST_POSTGRES";

    /// <summary>Set by ./test.sh: the throwaway cluster's data directory, for the plaintext scan.</summary>
    public const string PostgresDataVariable = "OMEPORTAL_TEST_PGDATA";

    public static string PostgresServer =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"PostgreSQL tests need {PostgresVariable} (a connection string to a throwaway server). Run ./test.sh, which starts one.");

    /// <summary>Set by ./test.sh: the connection string of a throwaway Azurite (Azure Blob Storage emulator) on loopback.</summary>
    public const string AzuriteVariable = "OMEPORTAL_TEST_AZURITE";

    /// <summary>Set by ./test.sh: Azurite's data directory (its --location), for the plaintext scan.</summary>
    public const string AzuriteDataVariable = "OMEPORTAL_TEST_AZURITE_DIR";

    public static string AzuriteConnectionString =>
        Environment.GetEnvironmentVariable(AzuriteVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Azure Blob tests need {AzuriteVariable} (the connection string of a throwaway Azurite). Run ./test.sh, which starts one.");

    public static string AzuriteDataDirectory =>
        Environment.GetEnvironmentVariable(AzuriteDataVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{AzuriteDataVariable} is not set: run ./test.sh, which starts Azurite.");

    /// <summary>A container name of its own for one test host or test, so that tests sharing one Azurite never see each other's blobs.</summary>
    public static string NewAzureContainerName() => "omeportal-test-" + Guid.NewGuid().ToString("N");

    /// <summary>Set by ./test.sh: the StackExchange.Redis configuration of a throwaway redis-server on loopback (e.g. 127.0.0.1:6390).</summary>
    public const string RedisVariable = "OMEPORTAL_TEST_REDIS";

    public static string RedisConfiguration =>
        Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Redis tests need {RedisVariable} (host:port of a throwaway redis-server). Run ./test.sh, which starts one.");

    /// <summary>
    /// Why Redis tests cannot run here, or null when they can: outside CI a missing <see cref="RedisVariable"/> skips them
    /// (a developer without redis-server still runs the rest); under CI=true they run, and fail naming the variable.
    /// </summary>
    public static string? RedisSkipReason =>
        Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } || Environment.GetEnvironmentVariable("CI") == "true"
            ? null
            : $"{RedisVariable} is not set (./test.sh starts a redis-server and sets it).";

    public static string? PostgresDataDirectory => Environment.GetEnvironmentVariable(PostgresDataVariable) is { Length: > 0 } v ? v : null;

    /// <summary>
    /// A free TCP port on loopback, below the kernel's ephemeral range (32768+ on Linux). A port the
    /// OS hands out for "any port" comes from that range, which is also where every outgoing
    /// connection (HTTP clients, database connections) takes its local port: between this check and
    /// the server's bind, one of them could take it. Random picks from below the range do not race with them.
    /// </summary>
    private static readonly HashSet<int> HandedOut = [];

    public static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            lock (HandedOut)
            {
                // Two hosts starting at once could both find the same port free before either binds it.
                if (!HandedOut.Add(port))
                {
                    continue;
                }
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port) { ExclusiveAddressUse = true };
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        using var fallback = new TcpListener(IPAddress.Loopback, 0);
        fallback.Start();
        return ((IPEndPoint)fallback.LocalEndpoint).Port;
    }

    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The repository's root (where <c>OmePortal.sln</c> is) above the test's own directory, or null.</summary>
    public static string? TryFindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OmePortal.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    /// <summary>The repository's root (see <see cref="TryFindRepositoryRoot"/>); throws when the tests run outside it.</summary>
    public static string RepositoryRoot =>
        TryFindRepositoryRoot() ?? throw new InvalidOperationException($"No OmePortal.sln above {AppContext.BaseDirectory}.");

    public static string SamplePath(string name) => Path.Combine(AppContext.BaseDirectory, "samples", name);
}
