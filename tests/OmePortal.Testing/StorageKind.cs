namespace OmePortal.Testing;

public enum StorageKind
{
    Sqlite,
    Postgres,
}
