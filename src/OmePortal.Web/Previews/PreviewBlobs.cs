using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Storage;

namespace OmePortal.Web.Previews;

/// <summary>
/// A preview's blobs: each page image and the text layer is its own blob, encrypted with the message key under
/// <see cref="BlobPurpose.AttachmentPreview"/> (docs/ARCHITECTURE.md §4), named after the row's random
/// <see cref="AttachmentPreviewRecord.BlobPrefix"/> (a blob is never overwritten). The plaintext starts with
/// a header naming the attachment and page it is of, checked on every read: a blob moved to another name of
/// the same message is refused like any other tampering.
/// </summary>
internal static class PreviewBlobs
{
    /// <summary>"OPV1", the attachment index, the page (0 for the text layer), each four bytes.</summary>
    private const int HeaderLength = 12;

    private static ReadOnlySpan<byte> Magic => "OPV1"u8;

    public static string NewPrefix(Guid tenantId, Guid messageId, int attachmentIndex)
    {
        var id = messageId.ToString("N");
        return $"{tenantId:N}/{id[^2..]}/{id}.preview-{attachmentIndex}-{Guid.NewGuid():N}";
    }

    public static string PageName(string prefix, int page) => $"{prefix}-p{page}";

    public static string TextName(string prefix) => $"{prefix}-text";

    /// <summary>Every blob name a row stands for.</summary>
    public static IEnumerable<string> Names(AttachmentPreviewRecord row)
    {
        if (row.BlobPrefix.Length == 0)
        {
            yield break;
        }

        for (var page = 1; page <= row.PagesRendered; page++)
        {
            yield return PageName(row.BlobPrefix, page);
        }

        if (row.HasText)
        {
            yield return TextName(row.BlobPrefix);
        }
    }

    public static async Task WritePageAsync(IBlobStore blobs, MessageKey key, MessageRecord message, string prefix, int attachmentIndex, int page, string pngFile, CancellationToken cancellationToken)
    {
        await using var png = File.OpenRead(pngFile);
        await WriteAsync(blobs, key, message, PageName(prefix, page), attachmentIndex, page, png, cancellationToken);
    }

    public static async Task WriteTextAsync(IBlobStore blobs, MessageKey key, MessageRecord message, string prefix, int attachmentIndex, IReadOnlyList<string> pages, CancellationToken cancellationToken)
    {
        using var json = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(pages));
        await WriteAsync(blobs, key, message, TextName(prefix), attachmentIndex, 0, json, cancellationToken);
    }

    /// <summary>A page image, decrypted and checked, as a stream positioned at the PNG's first byte.</summary>
    public static async Task<Stream> ReadPageAsync(IBlobStore blobs, MessageKey key, MessageRecord message, string prefix, int attachmentIndex, int page, CancellationToken cancellationToken)
    {
        using var plaintext = await ReadAsync(blobs, key, message, PageName(prefix, page), attachmentIndex, page, cancellationToken);

        // A stream of the PNG alone, so its Length is the image's and a response can declare it.
        return new MemoryStream(plaintext.GetBuffer(), HeaderLength, (int)plaintext.Length - HeaderLength, writable: false);
    }

    public static async Task<string[]> ReadTextAsync(IBlobStore blobs, MessageKey key, MessageRecord message, string prefix, int attachmentIndex, CancellationToken cancellationToken)
    {
        using var plaintext = await ReadAsync(blobs, key, message, TextName(prefix), attachmentIndex, 0, cancellationToken);
        return JsonSerializer.Deserialize<string[]>(plaintext.GetBuffer().AsSpan(HeaderLength, (int)plaintext.Length - HeaderLength)) ?? [];
    }

    /// <summary>
    /// Removes the previews of a message: its blobs, then its rows. For shredding (<see cref="Revocation.MessageShredder"/>):
    /// the key is gone or about to be, so the blobs are unreadable anyway; this leaves nothing behind.
    /// </summary>
    public static async Task DeleteForMessageAsync(OmePortalDbContext db, IBlobStore blobs, Guid messageId, CancellationToken cancellationToken)
    {
        var rows = await db.AttachmentPreviews.AsNoTracking().Where(p => p.MessageId == messageId).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return;
        }

        foreach (var name in rows.SelectMany(Names))
        {
            await blobs.DeleteAsync(name, cancellationToken);
        }

        var ids = rows.Select(r => r.Id).ToList();
        await db.AttachmentPreviews.Where(p => ids.Contains(p.Id)).ExecuteDeleteAsync(cancellationToken);
    }

    private static async Task WriteAsync(IBlobStore blobs, MessageKey key, MessageRecord message, string name, int attachmentIndex, int page, Stream body, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), attachmentIndex);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), page);
        await using var plaintext = new HeaderedStream(header, body);
        await blobs.WriteAsync(
            name,
            (destination, ct) => VaultStream.EncryptAsync(key, Context(message), plaintext, destination, ct),
            cancellationToken);
    }

    private static async Task<MemoryStream> ReadAsync(IBlobStore blobs, MessageKey key, MessageRecord message, string name, int attachmentIndex, int page, CancellationToken cancellationToken)
    {
        await using var ciphertext = await blobs.OpenReadAsync(name, cancellationToken);
        await using var decrypting = VaultStream.OpenDecrypt(key, Context(message), ciphertext, leaveOpen: true);
        var plaintext = new MemoryStream();
        await decrypting.CopyToAsync(plaintext, cancellationToken);
        var bytes = plaintext.GetBuffer().AsSpan(0, (int)plaintext.Length);
        if (bytes.Length < HeaderLength || !bytes.StartsWith(Magic)
            || BinaryPrimitives.ReadInt32BigEndian(bytes[4..]) != attachmentIndex || BinaryPrimitives.ReadInt32BigEndian(bytes[8..]) != page)
        {
            throw new VaultIntegrityException($"Preview blob {name} is not page {page} of attachment {attachmentIndex}.");
        }

        return plaintext;
    }

    private static BlobContext Context(MessageRecord message) => new(message.TenantId, message.Id, BlobPurpose.AttachmentPreview);

    /// <summary>The header, then the body: encrypted as one plaintext without copying the body.</summary>
    private sealed class HeaderedStream(byte[] header, Stream body) : Stream
    {
        private int _headerRead;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_headerRead < header.Length)
            {
                var n = Math.Min(buffer.Length, header.Length - _headerRead);
                header.AsSpan(_headerRead, n).CopyTo(buffer);
                _headerRead += n;
                return n;
            }

            return body.Read(buffer);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_headerRead < header.Length)
            {
                return Read(buffer.Span);
            }

            return await body.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
