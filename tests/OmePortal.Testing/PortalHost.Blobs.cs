using Microsoft.Extensions.DependencyInjection;
using OmePortal.Web.Storage;

namespace OmePortal.Testing;

/// <summary>The host's blobs through its own store, whichever it is: files under <see cref="BlobDirectory"/> or an Azure container.</summary>
public sealed partial class PortalHost
{
    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public Task<bool> BlobExistsAsync(string name) => Blobs.ExistsAsync(name, CancellationToken.None);

    /// <summary>The blob's stored bytes (ciphertext), e.g. as a backup would keep them.</summary>
    public async Task<byte[]> ReadBlobAsync(string name)
    {
        await using var stream = await Blobs.OpenReadAsync(name, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    public Task DeleteBlobAsync(string name) => Blobs.DeleteAsync(name, CancellationToken.None);

    /// <summary>
    /// Makes every blob write fail until <see cref="RestoreBlobStoreAsync"/>: the blob folder becomes a regular file,
    /// or the host's Azure container is deleted.
    /// </summary>
    public async Task BreakBlobStoreAsync()
    {
        if (AzureContainer is not null)
        {
            await AzureContainerClient.DeleteAsync();
            return;
        }

        if (Directory.Exists(BlobDirectory))
        {
            Directory.Delete(BlobDirectory, recursive: true);
        }

        await File.WriteAllTextAsync(BlobDirectory, "not a directory");
    }

    public async Task RestoreBlobStoreAsync()
    {
        if (AzureContainer is not null)
        {
            await AzureContainerClient.CreateIfNotExistsAsync();
            return;
        }

        File.Delete(BlobDirectory);
        Directory.CreateDirectory(BlobDirectory);
    }

    private Azure.Storage.Blobs.BlobContainerClient AzureContainerClient =>
        new(TestEnvironment.AzuriteConnectionString, AzureContainer ?? throw new InvalidOperationException("Blobs of this host are files."));

    /// <summary>How many blobs the store holds: files under the blob directory, or blobs in the host's container.</summary>
    public async Task<int> CountBlobsAsync()
    {
        if (AzureContainer is null)
        {
            return Directory.Exists(BlobDirectory) ? Directory.GetFiles(BlobDirectory, "*", SearchOption.AllDirectories).Length : 0;
        }

        var count = 0;
        await foreach (var _ in AzureContainerClient.GetBlobsAsync())
        {
            count++;
        }

        return count;
    }
}
