namespace OmePortal.Web.Storage;

/// <summary>
/// Stores ciphertext blobs. Only encrypted bytes ever reach it. <see cref="WriteAsync"/> returns only
/// once the blob is durable (data and name on disk), so intake may commit and acknowledge after it.
/// </summary>
public interface IBlobStore
{
    /// <summary>Writes a new blob through <paramref name="writer"/>; the blob appears whole or not at all.</summary>
    Task<long> WriteAsync(string name, Func<Stream, CancellationToken, Task> writer, CancellationToken cancellationToken);

    /// <summary>Opens a blob for reading (seekable). Throws <see cref="FileNotFoundException"/> if it does not exist.</summary>
    Stream OpenRead(string name);

    Task DeleteAsync(string name, CancellationToken cancellationToken);

    bool Exists(string name);
}
