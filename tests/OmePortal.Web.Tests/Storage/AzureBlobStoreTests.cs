using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using OmePortal.Testing;
using OmePortal.Web.Storage;
using Xunit.Abstractions;

namespace OmePortal.Web.Tests.Storage;

/// <summary>The Azure Blob store against a real Azurite (./test.sh starts it), one fresh container per class.</summary>
public sealed class AzureBlobStoreTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly BlobContainerClient _container = new(TestEnvironment.AzuriteConnectionString, TestEnvironment.NewAzureContainerName());
    private AzureBlobStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new AzureBlobStore(_container);
        await AzureBlobStore.EnsureContainerAsync(_container, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _container.DeleteIfExistsAsync();

    [Fact]
    public async Task Write_ThenOpenRead_RoundTripsAndSeeks()
    {
        // Several blocks and a partial last one, written in pieces that straddle block boundaries.
        var data = RandomNumberGenerator.GetBytes(2 * AzureBlobStore.BlockSize + 12_345);
        var written = await _store.WriteAsync("t/ab/one.content", (stream, ct) => WriteInPiecesAsync(stream, data, 100_003, ct), CancellationToken.None);
        Assert.Equal(data.Length, written);

        await using var read = await _store.OpenReadAsync("t/ab/one.content", CancellationToken.None);
        Assert.True(read.CanSeek);
        Assert.Equal(data.Length, read.Length);

        // The vault reads the final segment first, then from the start (docs/ARCHITECTURE.md §3).
        read.Seek(-70_000, SeekOrigin.End);
        var tail = new byte[70_000];
        await read.ReadExactlyAsync(tail);
        Assert.Equal(data.AsSpan(data.Length - 70_000).ToArray(), tail);

        read.Position = 0;
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task Write_WriterFailsMidStream_LeavesNoBlob()
    {
        var name = "t/cd/broken.content";
        var failure = await Assert.ThrowsAsync<IOException>(() => _store.WriteAsync(
            name,
            async (stream, ct) =>
            {
                // More than two blocks are staged before the writer fails.
                await stream.WriteAsync(RandomNumberGenerator.GetBytes(2 * AzureBlobStore.BlockSize + 1), ct);
                throw new IOException("the sender went away");
            },
            CancellationToken.None));
        Assert.Equal("the sender went away", failure.Message);

        Assert.False(await _store.ExistsAsync(name, CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync(name, CancellationToken.None));
        var committed = new List<string>();
        await foreach (var blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "t/cd/", CancellationToken.None))
        {
            committed.Add(blob.Name);
        }

        Assert.Empty(committed);

        // Control: the uncommitted blocks did reach the service; they are what stays invisible.
        var uncommitted = new List<string>();
        await foreach (var blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.Uncommitted, "t/cd/", CancellationToken.None))
        {
            uncommitted.Add(blob.Name);
        }

        Assert.Equal([name], uncommitted);
    }

    [Fact]
    public async Task Write_ExistingName_IsRefusedAndKeepsTheFirst()
    {
        var first = RandomNumberGenerator.GetBytes(1000);
        await _store.WriteAsync("t/ef/same", (stream, ct) => stream.WriteAsync(first, ct).AsTask(), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            _store.WriteAsync("t/ef/same", (stream, ct) => stream.WriteAsync(RandomNumberGenerator.GetBytes(2000), ct).AsTask(), CancellationToken.None));
        Assert.Equal(409, refused.Status);

        await using var read = await _store.OpenReadAsync("t/ef/same", CancellationToken.None);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(first, copy.ToArray());
    }

    [Fact]
    public async Task OpenRead_MissingBlob_ThrowsFileNotFound()
    {
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync("t/00/never-written", CancellationToken.None));
        Assert.Equal("t/00/never-written", missing.FileName);
        Assert.False(await _store.ExistsAsync("t/00/never-written", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_RemovesTheBlob_AndAMissingBlobIsNoError()
    {
        await _store.WriteAsync("t/11/gone", (stream, ct) => stream.WriteAsync(new byte[10], ct).AsTask(), CancellationToken.None);
        Assert.True(await _store.ExistsAsync("t/11/gone", CancellationToken.None));

        await _store.DeleteAsync("t/11/gone", CancellationToken.None);
        Assert.False(await _store.ExistsAsync("t/11/gone", CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _store.OpenReadAsync("t/11/gone", CancellationToken.None));

        await _store.DeleteAsync("t/11/gone", CancellationToken.None);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("t/../../escape")]
    [InlineData("/rooted")]
    [InlineData("t\\back")]
    public async Task Names_ThatTheFileStoreRefuses_AreRefused(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.WriteAsync(name, (_, _) => Task.CompletedTask, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.OpenReadAsync(name, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeleteAsync(name, CancellationToken.None));
    }

    [Fact]
    public async Task EnsureContainer_CreatesAMissingContainer_AndLeavesAnExistingOneAlone()
    {
        var other = new BlobContainerClient(TestEnvironment.AzuriteConnectionString, TestEnvironment.NewAzureContainerName());
        try
        {
            Assert.False((await other.ExistsAsync()).Value);
            var store = new AzureBlobStore(other);
            await AzureBlobStore.EnsureContainerAsync(other, CancellationToken.None);
            Assert.True((await other.ExistsAsync()).Value);
            Assert.Equal(PublicAccessType.None, (await other.GetPropertiesAsync()).Value.PublicAccess ?? PublicAccessType.None);

            await store.WriteAsync("kept", (stream, ct) => stream.WriteAsync(new byte[3], ct).AsTask(), CancellationToken.None);
            await AzureBlobStore.EnsureContainerAsync(other, CancellationToken.None);
            Assert.True(await store.ExistsAsync("kept", CancellationToken.None));
        }
        finally
        {
            await other.DeleteIfExistsAsync();
        }
    }

    /// <summary>
    /// A 25 MB blob is staged block by block: what the upload allocates is a small part of the blob, not a copy of it.
    /// Measured on the writing thread (synchronous writes stage synchronously on it), so that tests running beside
    /// this one do not count.
    /// </summary>
    [Fact]
    public async Task Write_25MB_IsStreamed_NotBufferedWhole()
    {
        const int Size = 25 * 1024 * 1024;
        var chunk = RandomNumberGenerator.GetBytes(VaultSegment);
        long allocated = 0, total = 0;
        await _store.WriteAsync(
            "t/25/large",
            (stream, _) =>
            {
                // Warm the path first (the first request builds the pipeline), then measure the rest.
                stream.Write(chunk);
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (total = chunk.Length; total < Size; total += chunk.Length)
                {
                    stream.Write(chunk);
                }

                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                return Task.CompletedTask;
            },
            CancellationToken.None);

        output.WriteLine($"Staging 25 MiB allocated {allocated / 1024} KiB on the writing thread.");
        Assert.True(allocated < Size / 8, $"Staging 25 MiB allocated {allocated / 1024} KiB: the blob is being buffered.");
        await using var read = await _store.OpenReadAsync("t/25/large", CancellationToken.None);
        Assert.Equal(total, read.Length);
    }

    [Fact]
    public void Options_AzureBlobWithoutAccount_OrWithBoth_OrABadContainer_AreRefused()
    {
        Assert.Empty(new BlobOptions().Problems());
        Assert.Empty(new BlobOptions { Provider = BlobProvider.AzureBlob, AzureBlob = { ConnectionString = "UseDevelopmentStorage=true" } }.Problems());
        Assert.Empty(new BlobOptions { Provider = BlobProvider.AzureBlob, AzureBlob = { ServiceUri = "https://account.blob.core.windows.net" } }.Problems());

        Assert.Contains("ConnectionString", Assert.Single(new BlobOptions { Provider = BlobProvider.AzureBlob }.Problems()), StringComparison.Ordinal);
        Assert.Single(new BlobOptions { Provider = BlobProvider.AzureBlob, AzureBlob = { ConnectionString = "x", ServiceUri = "https://a.example" } }.Problems());
        Assert.Contains("ServiceUri", Assert.Single(new BlobOptions { Provider = BlobProvider.AzureBlob, AzureBlob = { ServiceUri = "account.blob.core.windows.net" } }.Problems()), StringComparison.Ordinal);
        foreach (var container in new[] { "", "ab", "Upper", "two--hyphens", "-start", "end-", new string('a', 64) })
        {
            Assert.Contains("Container", Assert.Single(new BlobOptions { Provider = BlobProvider.AzureBlob, AzureBlob = { ConnectionString = "x", Container = container } }.Problems()), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Portal_WithAzureBlob_CreatesItsContainerAtStart()
    {
        var name = TestEnvironment.NewAzureContainerName();
        var container = new BlobContainerClient(TestEnvironment.AzuriteConnectionString, name);
        try
        {
            await using var host = await new PortalHost(StorageKind.Sqlite, AzureSettings(TestEnvironment.AzuriteConnectionString, name)).StartAsync();
            Assert.True((await container.ExistsAsync()).Value);

            // The host's store is that container.
            await host.Blobs.WriteAsync("t/99/through-the-host", (stream, ct) => stream.WriteAsync(new byte[5], ct).AsTask(), CancellationToken.None);
            Assert.True((await container.GetBlobClient("t/99/through-the-host").ExistsAsync()).Value);
        }
        finally
        {
            await container.DeleteIfExistsAsync();
        }
    }

    [Fact]
    public async Task Portal_WithAzureBlobButNoAccount_RefusesToStart_SayingWhatIsMissing()
    {
        await using var host = new PortalHost(StorageKind.Sqlite, AzureSettings(connectionString: null, TestEnvironment.NewAzureContainerName()));
        var refused = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("OmePortal:Blobs:AzureBlob:ConnectionString", refused.ToString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> AzureSettings(string? connectionString, string container) => new()
    {
        ["OmePortal:Blobs:Provider"] = "AzureBlob",
        ["OmePortal:Blobs:AzureBlob:ConnectionString"] = connectionString,
        ["OmePortal:Blobs:AzureBlob:Container"] = container,
    };

    private const int VaultSegment = 64 * 1024 + 16;

    private static async Task WriteInPiecesAsync(Stream destination, byte[] data, int piece, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < data.Length; offset += piece)
        {
            await destination.WriteAsync(data.AsMemory(offset, Math.Min(piece, data.Length - offset)), cancellationToken);
        }
    }
}
