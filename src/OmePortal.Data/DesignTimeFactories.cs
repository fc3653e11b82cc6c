using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace OmePortal.Data;

// Used only by `dotnet ef migrations add`; the running app configures its contexts from options.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteOmePortalDbContext>
{
    public SqliteOmePortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteOmePortalDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresOmePortalDbContext>
{
    public PostgresOmePortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresOmePortalDbContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}
