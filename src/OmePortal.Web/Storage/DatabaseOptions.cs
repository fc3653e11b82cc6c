namespace OmePortal.Web.Storage;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Section <c>OmePortal:Database</c>. SQLite under the data directory unless told otherwise.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "OmePortal:Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Required for Postgres; for SQLite defaults to <c>Data Source=&lt;data&gt;/omeportal.db</c>.</summary>
    public string? ConnectionString { get; set; }
}
