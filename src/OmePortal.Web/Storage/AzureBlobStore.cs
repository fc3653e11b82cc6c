using System.Buffers;
using System.Globalization;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace OmePortal.Web.Storage;

/// <summary>
/// Blobs as block blobs in one Azure Blob Storage container, so that several portal nodes share them.
/// A write stages the ciphertext one block at a time as the vault produces it and commits the block list
/// at the end: staged blocks are invisible until that commit, so a blob appears whole or not at all, and a
/// failed write leaves only uncommitted blocks, which the service discards (after a week at the latest).
/// The commit is conditional on no blob of that name existing, as the file store never replaces a file.
/// </summary>
public sealed class AzureBlobStore : IBlobStore
{
    /// <summary>
    /// Bytes staged per block: what one upload holds in memory. 1 MiB keeps many concurrent SMTP sessions cheap
    /// while a 25 MB message takes 25 requests; Azure allows 50 000 blocks, so a blob may reach 48 GiB.
    /// </summary>
    public const int BlockSize = 1024 * 1024;

    private readonly BlobContainerClient _container;

    public AzureBlobStore(BlobContainerClient container)
    {
        _container = container;
    }

    /// <summary>The container client for the options: a connection string, or the service URI with <c>DefaultAzureCredential</c>.</summary>
    public static BlobContainerClient ContainerFor(AzureBlobOptions options)
    {
        var service = string.IsNullOrWhiteSpace(options.ConnectionString)
            ? new BlobServiceClient(new Uri(options.ServiceUri!, UriKind.Absolute), new Azure.Identity.DefaultAzureCredential())
            : new BlobServiceClient(options.ConnectionString);
        return service.GetBlobContainerClient(options.Container);
    }

    /// <summary>Creates the container when it is missing (private: no anonymous access).</summary>
    public static async Task EnsureContainerAsync(BlobContainerClient container, CancellationToken cancellationToken)
    {
        // Asking first lets an identity that may only use an existing container start.
        if (!(await container.ExistsAsync(cancellationToken)).Value)
        {
            await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);
        }
    }

    public async Task<long> WriteAsync(string name, Func<Stream, CancellationToken, Task> writer, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlockBlobClient(Checked(name));
        await using var blocks = new BlockWriteStream(blob);
        await writer(blocks, cancellationToken);
        await blocks.CommitAsync(cancellationToken);
        return blocks.Length;
    }

    public async Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(Checked(name));
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return new RangeReadStream(blob, properties.ContentLength, properties.ETag);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            throw new FileNotFoundException($"Blob '{name}' does not exist in container '{_container.Name}'.", name, exception);
        }
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        await _container.GetBlobClient(Checked(name)).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) =>
        (await _container.GetBlobClient(Checked(name)).ExistsAsync(cancellationToken)).Value;

    // The same names as the file store accepts, so that data can move from one store to the other.
    private static string Checked(string name) =>
        name.Length == 0 || name.Contains("..", StringComparison.Ordinal) || name.StartsWith('/') || name.Contains('\\')
            ? throw new ArgumentException("Invalid blob name.", nameof(name))
            : name;

    /// <summary>
    /// A seekable read of one blob version (its ETag is pinned, so two ranges can never come from two versions).
    /// A read streams one ranged download from the current position to the end, straight from the response,
    /// where the SDK's own read stream downloads fixed windows into buffers of their own. A seek elsewhere
    /// closes the download; the next read opens another from there. The vault reads a blob's final segment
    /// first, then from the start: two requests for a whole message, whatever its size.
    /// </summary>
    private sealed class RangeReadStream(BlobClient blob, long length, ETag etag) : Stream
    {
        private Stream? _body;
        private long _position;
        private bool _disposed;

        public override bool CanRead => !_disposed;
        public override bool CanSeek => !_disposed;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                SeekOrigin.End => length + offset,
                _ => throw new ArgumentOutOfRangeException(nameof(origin)),
            };
            ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
            if (target != _position)
            {
                CloseBody();
                _position = target;
            }

            return _position;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (buffer.IsEmpty || _position >= length)
            {
                return 0;
            }

            _body ??= blob.DownloadStreaming(DownloadFromPosition(), CancellationToken.None).Value.Content;
            return Advance(_body.Read(buffer));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (buffer.IsEmpty || _position >= length)
            {
                return 0;
            }

            _body ??= (await blob.DownloadStreamingAsync(DownloadFromPosition(), cancellationToken)).Value.Content;
            return Advance(await _body.ReadAsync(buffer, cancellationToken));
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                CloseBody();
            }

            base.Dispose(disposing);
        }

        private BlobDownloadOptions DownloadFromPosition() => new()
        {
            Range = new HttpRange(_position),
            Conditions = new BlobRequestConditions { IfMatch = etag },
        };

        private int Advance(int read)
        {
            _position += read;
            return read;
        }

        private void CloseBody()
        {
            _body?.Dispose();
            _body = null;
        }
    }

    /// <summary>
    /// A write-only stream that stages a block each time <see cref="BlockSize"/> bytes have arrived, from one
    /// pooled buffer; <see cref="CommitAsync"/> stages the rest and commits. Nothing is visible before that.
    /// </summary>
    private sealed class BlockWriteStream(BlockBlobClient blob) : Stream
    {
        private readonly List<string> _blockIds = [];
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        private int _filled;
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => _buffer is not null;
        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> source)
        {
            while (!source.IsEmpty)
            {
                source = Fill(source);
                if (_filled == BlockSize)
                {
                    StageAsync(useAsync: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            while (!source.IsEmpty)
            {
                source = source[(source.Length - Fill(source.Span).Length)..];
                if (_filled == BlockSize)
                {
                    await StageAsync(useAsync: true, cancellationToken);
                }
            }
        }

        /// <summary>Stages what is buffered and commits the block list, only if no blob of the name exists yet.</summary>
        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await StageAsync(useAsync: true, cancellationToken);
            await blob.CommitBlockListAsync(
                _blockIds,
                new CommitBlockListOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
        }

        // Staging and committing happen when blocks fill and at the end; there is nothing to flush in between.
        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (_buffer is { } buffer)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }

            base.Dispose(disposing);
        }

        private ReadOnlySpan<byte> Fill(ReadOnlySpan<byte> source)
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(BlockWriteStream));
            var count = Math.Min(source.Length, BlockSize - _filled);
            source[..count].CopyTo(buffer.AsSpan(_filled));
            _filled += count;
            _length += count;
            return source[count..];
        }

        private async ValueTask StageAsync(bool useAsync, CancellationToken cancellationToken)
        {
            if (_filled == 0)
            {
                return;
            }

            // Every id of a blob must have the same length: the block's index, zero-padded, in base64.
            var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(_blockIds.Count.ToString("D6", CultureInfo.InvariantCulture)));
            using var content = new MemoryStream(_buffer!, 0, _filled, writable: false);
            if (useAsync)
            {
                await blob.StageBlockAsync(id, content, options: null, cancellationToken);
            }
            else
            {
                blob.StageBlock(id, content, options: null, cancellationToken);
            }

            _blockIds.Add(id);
            _filled = 0;
        }
    }
}
