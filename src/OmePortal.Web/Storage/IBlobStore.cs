namespace OmePortal.Web.Storage;

/// <summary>
/// Stores ciphertext blobs. Only encrypted bytes ever reach it. <see cref="WriteAsync"/> returns only
/// once the blob is durable (on disk, or committed to the object store), so intake may commit and
/// acknowledge after it. Two implementations: <see cref="FileBlobStore"/> and <see cref="AzureBlobStore"/>
/// (docs/ARCHITECTURE.md §3).
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Writes a new blob through <paramref name="writer"/>, streamed (never buffered whole); the blob appears
    /// whole or not at all, and an existing blob of that name is never replaced.
    /// </summary>
    Task<long> WriteAsync(string name, Func<Stream, CancellationToken, Task> writer, CancellationToken cancellationToken);

    /// <summary>Opens a blob for reading (seekable, <see cref="Stream.Length"/> known). Throws <see cref="FileNotFoundException"/> if it does not exist.</summary>
    Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken);

    /// <summary>Removes the blob; a blob that is already gone is not an error.</summary>
    Task DeleteAsync(string name, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string name, CancellationToken cancellationToken);
}
