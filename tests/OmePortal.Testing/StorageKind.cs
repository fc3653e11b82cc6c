namespace OmePortal.Testing;

public enum StorageKind
{
    Sqlite,
    Postgres,

    /// <summary>PostgreSQL with blobs in Azure Blob Storage (Azurite of ./test.sh): for the tests that write, read or delete blobs.</summary>
    PostgresAzureBlob,
}
