namespace OmePortal.Web.Tests.Infrastructure;

public enum StorageKind
{
    Sqlite,
    Postgres,
}
