using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OmePortal.Data;

namespace OmePortal.Testing;

/// <summary>
/// Every PostgreSQL test host gets its own database; migrating each from nothing cost seconds a host, most
/// of the PostgreSQL test time. The schema is migrated once per migration set into a template database and
/// each test database is a copy of it (<c>CREATE DATABASE … TEMPLATE</c>, a file copy). The portal's own
/// start-up still runs <c>MigrateAsync</c>, which then finds nothing to do, and seeds its data as on a fresh
/// database: the template holds the schema only.
/// </summary>
public static class PostgresTemplate
{
    private const string ObjectInUse = "55006";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _template;

    /// <summary>Creates <paramref name="database"/> as a copy of the migrated template.</summary>
    public static async Task CreateDatabaseAsync(string database)
    {
        var template = await TemplateAsync();
        await using var connection = await OpenServerAsync();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\" TEMPLATE \"{template}\"", connection);
                await create.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState == ObjectInUse && attempt < 50)
            {
                // Another copy, or the migration that made the template, still has it open: copies wait their turn.
                await Task.Delay(50 * attempt);
            }
        }
    }

    private static async Task<string> TemplateAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _template ??= await EnsureTemplateAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> EnsureTemplateAsync()
    {
        var migrations = MigrationIds();
        var name = "omeportal_template_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', migrations))))[..16];
        await using var connection = await OpenServerAsync();

        // Test projects (and a developer's second run) may share the server: one of them builds, the others wait for it.
        await using (var lockTemplate = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext(@name))", connection))
        {
            lockTemplate.Parameters.AddWithValue("name", name);
            await lockTemplate.ExecuteNonQueryAsync();
        }

        try
        {
            await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection);
            exists.Parameters.AddWithValue("name", name);
            if ((long)(await exists.ExecuteScalarAsync())! > 0)
            {
                return name;
            }

            // Built under another name and renamed when complete, so a half-migrated template is never copied.
            var building = name + "_building";
            await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)");
            await ExecuteAsync(connection, $"CREATE DATABASE \"{building}\"");
            var target = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Database = building, Pooling = false }.ConnectionString;
            await using (var db = new PostgresOmePortalDbContext(new DbContextOptionsBuilder<PostgresOmePortalDbContext>().UseNpgsql(target).Options))
            {
                await db.Database.MigrateAsync();
            }

            await ExecuteAsync(connection, $"ALTER DATABASE \"{building}\" RENAME TO \"{name}\"");
            return name;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext(@name))", connection);
            unlock.Parameters.AddWithValue("name", name);
            await unlock.ExecuteNonQueryAsync();
        }
    }

    private static IReadOnlyList<string> MigrationIds()
    {
        using var db = new PostgresOmePortalDbContext(new DbContextOptionsBuilder<PostgresOmePortalDbContext>().UseNpgsql(TestEnvironment.PostgresServer).Options);
        return [.. db.Database.GetMigrations()];
    }

    private static async Task<NpgsqlConnection> OpenServerAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
