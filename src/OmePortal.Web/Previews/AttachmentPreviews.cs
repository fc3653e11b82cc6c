using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Web.Storage;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Previews;

/// <summary>
/// Previews of a message's attachments: page images (PNG) and a text layer, rendered on the server from the
/// decrypted attachment by <see cref="PreviewConverter"/> on the first request (or at intake with
/// <see cref="PreviewOptions.AtIntake"/>), then kept encrypted with the message key and served from there.
/// A document that could not be previewed is remembered as such, so a hostile one costs one conversion, not
/// one per request. The caller has made the access decision; everything here is keyed by the message it
/// passes, so only that message's rows and blobs are ever touched. Attachment indexes are the render model's
/// (<see cref="AttachmentEntry.Index"/>), as in the download URL.
/// </summary>
public sealed partial class AttachmentPreviews(
    OmePortalDbContext db,
    MessageVault vault,
    IBlobStore blobs,
    PreviewConverter converter,
    TimeProvider time,
    ILogger<AttachmentPreviews> logger)
{
    /// <summary>
    /// The attachment's preview, converting it first when it has none yet (one conversion at a time per
    /// attachment on this node; a request that waited for another's conversion gets its result).
    /// </summary>
    public async Task<PreviewOutcome> PrepareAsync(MessageRecord message, int attachmentIndex, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (await FindAsync(message.Id, attachmentIndex, cancellationToken) is { } known)
        {
            return OutcomeOf(known);
        }

        if (message.WrappedKey is null)
        {
            // Shredded: nothing is left to convert.
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview);
        }

        if (!converter.Options.Enabled)
        {
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.ConverterMissing);
        }

        var entry = await FindAttachmentAsync(message, attachmentIndex, cancellationToken);
        if (entry is null)
        {
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.UnsupportedType);
        }

        using (await converter.LockAttachmentAsync(message.Id, attachmentIndex, cancellationToken))
        {
            if (await FindAsync(message.Id, attachmentIndex, cancellationToken) is { } madeMeanwhile)
            {
                return OutcomeOf(madeMeanwhile);
            }

            return await ConvertAsync(message, entry, cancellationToken);
        }
    }

    /// <summary>Prepares every attachment of the message that is a file (not an inline part of the body): for <see cref="PreviewOptions.AtIntake"/>.</summary>
    internal async Task PrepareAllAsync(MessageRecord message, CancellationToken cancellationToken)
    {
        if (message.WrappedKey is null || !converter.Options.Enabled)
        {
            return;
        }

        var model = await ReadSummaryAsync(message, cancellationToken);
        foreach (var entry in model?.Attachments ?? [])
        {
            if (!entry.IsInline && entry.ContentOffset >= 0)
            {
                await PrepareAsync(message, entry.Index, cancellationToken);
            }
        }
    }

    /// <summary>Page <paramref name="page"/> (1-based) as a decrypted PNG stream (dispose it), or null when there is no such page.</summary>
    public async Task<Stream?> OpenPageAsync(MessageRecord message, int attachmentIndex, int page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var row = await FindAsync(message.Id, attachmentIndex, cancellationToken);
        if (row is not { Status: AttachmentPreviewStatus.Ready } || page < 1 || page > row.PagesRendered)
        {
            return null;
        }

        using var key = await OpenKeyAsync(message, cancellationToken);
        if (key is null)
        {
            return null;
        }

        try
        {
            return await PreviewBlobs.ReadPageAsync(blobs, key, message, row.BlobPrefix, attachmentIndex, page, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            // Shredded between the row and the blob.
            return null;
        }
    }

    /// <summary>
    /// The text of page <paramref name="page"/> (1-based): what <c>pdftotext</c> found on it, or a text file's
    /// decoded text (page 1, capped at <see cref="PreviewOptions.MaxTextCharsPerPage"/>). Null when there is none.
    /// Show it escaped: it is the sender's content.
    /// </summary>
    public async Task<string?> ReadTextAsync(MessageRecord message, int attachmentIndex, int page, CancellationToken cancellationToken)
    {
        var pages = await ReadTextsAsync(message, attachmentIndex, cancellationToken);
        return page >= 1 && page <= pages.Count ? pages[page - 1] : null;
    }

    /// <summary>
    /// The text of every rendered page at once (index 0 = page 1), empty when there is none: one row, one key and one
    /// blob for a whole document, where asking page by page would read the same blob once per page.
    /// </summary>
    public async Task<IReadOnlyList<string>> ReadTextsAsync(MessageRecord message, int attachmentIndex, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var row = await FindAsync(message.Id, attachmentIndex, cancellationToken);
        if (row is not { Status: AttachmentPreviewStatus.Ready, HasText: true })
        {
            return [];
        }

        using var key = await OpenKeyAsync(message, cancellationToken);
        if (key is null)
        {
            return [];
        }

        try
        {
            var pages = await PreviewBlobs.ReadTextAsync(blobs, key, message, row.BlobPrefix, attachmentIndex, cancellationToken);
            return pages.Length > Math.Max(1, row.PagesRendered) ? pages[..Math.Max(1, row.PagesRendered)] : pages;
        }
        catch (FileNotFoundException)
        {
            return [];
        }
    }

    private Task<AttachmentPreviewRecord?> FindAsync(Guid messageId, int attachmentIndex, CancellationToken cancellationToken) =>
        db.AttachmentPreviews.AsNoTracking().SingleOrDefaultAsync(p => p.MessageId == messageId && p.AttachmentIndex == attachmentIndex, cancellationToken);

    private static PreviewOutcome OutcomeOf(AttachmentPreviewRecord row) => row.Status == AttachmentPreviewStatus.Ready
        ? new PreviewOutcome.Ready(row.PagesRendered, row.TotalPages, (PreviewKind)row.Kind, row.HasText)
        : new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview);

    private async Task<MessageKey?> OpenKeyAsync(MessageRecord message, CancellationToken cancellationToken) =>
        await vault.OpenKeyAsync(db, message, cancellationToken) is MessageKeyResult.Available available ? available.Key : null;

    /// <summary>The attachment as the download page finds it: by index in the render model, with a known place in the original.</summary>
    private async Task<AttachmentEntry?> FindAttachmentAsync(MessageRecord message, int attachmentIndex, CancellationToken cancellationToken) =>
        (await ReadSummaryAsync(message, cancellationToken))?.Attachments.FirstOrDefault(a => a.Index == attachmentIndex && a.ContentOffset >= 0);

    /// <summary>The render model's summary: from the row when it holds one, else from the render blob.</summary>
    private async Task<RenderModel?> ReadSummaryAsync(MessageRecord message, CancellationToken cancellationToken)
    {
        RenderModel? model = null;
        if (await vault.OpenSummaryAsync(db, message, cancellationToken) is { } summary)
        {
            try
            {
                model = RenderModelSerializer.DeserializeSummary(summary);
            }
            finally
            {
                Array.Clear(summary);
            }
        }
        else if (message.WrappedKey is not null && await vault.OpenBlobAsync(db, message, BlobPurpose.RenderModel, cancellationToken) is VaultReadResult.Opened opened)
        {
            await using (opened.Plaintext)
            {
                model = await RenderModelSerializer.DeserializeSummaryAsync(opened.Plaintext, cancellationToken);
            }
        }

        return model;
    }

    private async Task<PreviewOutcome> ConvertAsync(MessageRecord message, AttachmentEntry entry, CancellationToken cancellationToken)
    {
        var options = converter.Options;
        if (entry.Size > options.MaxSourceBytes)
        {
            return await RecordFailureAsync(message, entry.Index, PreviewKind.Pdf, "larger than the source cap", cancellationToken);
        }

        VaultReadResult content;
        try
        {
            content = await vault.OpenBlobAsync(db, message, BlobPurpose.Content, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview);
        }

        if (content is not VaultReadResult.Opened opened)
        {
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview);
        }

        await using var original = opened.Plaintext;
        await using var decoded = AttachmentContent.OpenDecoded(original, entry);
        var head = new byte[PreviewTypes.HeadLength];
        var headLength = await decoded.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        if (PreviewTypes.Classify(entry, head.AsSpan(0, headLength)) is not { } kind)
        {
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.UnsupportedType);
        }

        if (!converter.Tools.Supports(kind))
        {
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.ConverterMissing);
        }

        using var workspace = PreviewWorkspace.Create(options);
        var sourceName = "document" + (kind switch
        {
            PreviewKind.Pdf => ".pdf",
            PreviewKind.Office => PreviewTypes.OfficeExtension(entry),
            PreviewKind.Image => ".img",
            _ => ".txt",
        });
        if (!await CopyCappedAsync(head.AsMemory(0, headLength), decoded, workspace, sourceName, options.MaxSourceBytes, cancellationToken))
        {
            return await RecordFailureAsync(message, entry.Index, kind, "larger than the source cap", cancellationToken);
        }

        var started = time.GetTimestamp();
        var result = await converter.ConvertAsync(kind, Path.Combine(workspace.Path, sourceName), workspace, PreviewTypes.TextEncoding(entry), cancellationToken);
        switch (result)
        {
            case ConversionResult.Converted converted:
                LogConverted(message.Id, entry.Index, kind, converted.Preview.PageFiles.Count, converted.Preview.TotalPages, time.GetElapsedTime(started).TotalMilliseconds);
                return await StoreAsync(message, entry.Index, converted.Preview, cancellationToken);
            case ConversionResult.Failed failed:
                return await RecordFailureAsync(message, entry.Index, kind, failed.Why, cancellationToken);
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>Writes the decoded attachment into the workspace (mode 0600); false when it is larger than <paramref name="cap"/>.</summary>
    private static async Task<bool> CopyCappedAsync(ReadOnlyMemory<byte> head, Stream rest, PreviewWorkspace workspace, string name, long cap, CancellationToken cancellationToken)
    {
        await using var file = workspace.CreateFile(name);
        await file.WriteAsync(head, cancellationToken);
        var total = (long)head.Length;
        var buffer = new byte[81920];
        int read;
        while ((read = await rest.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > cap)
            {
                return false;
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return true;
    }

    private async Task<PreviewOutcome> StoreAsync(MessageRecord message, int attachmentIndex, ConvertedPreview preview, CancellationToken cancellationToken)
    {
        using var key = await OpenKeyAsync(message, cancellationToken);
        if (key is null)
        {
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview);
        }

        var row = new AttachmentPreviewRecord
        {
            Id = Guid.NewGuid(),
            MessageId = message.Id,
            AttachmentIndex = attachmentIndex,
            Status = AttachmentPreviewStatus.Ready,
            Kind = (int)preview.Kind,
            PagesRendered = preview.PageFiles.Count,
            TotalPages = preview.TotalPages,
            HasText = preview.PageTexts is not null,
            BlobPrefix = PreviewBlobs.NewPrefix(message.TenantId, message.Id, attachmentIndex),
            CreatedAt = time.GetUtcNow(),
        };
        try
        {
            for (var page = 1; page <= preview.PageFiles.Count; page++)
            {
                await PreviewBlobs.WritePageAsync(blobs, key, message, row.BlobPrefix, attachmentIndex, page, preview.PageFiles[page - 1], cancellationToken);
            }

            if (preview.PageTexts is { } texts)
            {
                await PreviewBlobs.WriteTextAsync(blobs, key, message, row.BlobPrefix, attachmentIndex, texts, cancellationToken);
            }
        }
        catch
        {
            await DeleteBlobsAsync(row);
            throw;
        }

        return await InsertAsync(message, row, cancellationToken);
    }

    private Task<PreviewOutcome> RecordFailureAsync(MessageRecord message, int attachmentIndex, PreviewKind kind, string why, CancellationToken cancellationToken)
    {
        LogCannotPreview(message.Id, attachmentIndex, kind, why);
        return InsertAsync(message, new AttachmentPreviewRecord
        {
            Id = Guid.NewGuid(),
            MessageId = message.Id,
            AttachmentIndex = attachmentIndex,
            Status = AttachmentPreviewStatus.Failed,
            Kind = (int)kind,
            BlobPrefix = string.Empty,
            CreatedAt = time.GetUtcNow(),
        }, cancellationToken);
    }

    /// <summary>
    /// Inserts the row. Another node may have stored the same preview first (the unique index says so): its row
    /// wins and this one's blobs go. A message shredded while the preview was made gets no preview: the shredder
    /// either saw this row and removed it, or this check sees the key gone and removes it.
    /// </summary>
    private async Task<PreviewOutcome> InsertAsync(MessageRecord message, AttachmentPreviewRecord row, CancellationToken cancellationToken)
    {
        db.AttachmentPreviews.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            await DeleteBlobsAsync(row);
            return await FindAsync(message.Id, row.AttachmentIndex, cancellationToken) is { } winner
                ? OutcomeOf(winner)
                : new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview);
        }
        finally
        {
            db.Entry(row).State = EntityState.Detached;
        }

        if (!await db.Messages.AnyAsync(m => m.Id == message.Id && m.WrappedKey != null, cancellationToken))
        {
            await PreviewBlobs.DeleteForMessageAsync(db, blobs, message.Id, CancellationToken.None);
            return new PreviewOutcome.Unavailable(PreviewUnavailableReason.CannotPreview);
        }

        return OutcomeOf(row);
    }

    private async Task DeleteBlobsAsync(AttachmentPreviewRecord row)
    {
        foreach (var name in PreviewBlobs.Names(row))
        {
            try
            {
                await blobs.DeleteAsync(name, CancellationToken.None);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or Azure.RequestFailedException)
            {
                logger.LogWarning(exception, "A preview blob that lost a race could not be removed.");
            }
        }
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Message {MessageId}, attachment {AttachmentIndex}: {Kind} preview of {Pages} of {TotalPages} pages made in {Milliseconds:F0} ms.")]
    private partial void LogConverted(Guid messageId, int attachmentIndex, PreviewKind kind, int pages, int totalPages, double milliseconds);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Information, Message = "Message {MessageId}, attachment {AttachmentIndex}: the {Kind} document can't be previewed ({Why}).")]
    private partial void LogCannotPreview(Guid messageId, int attachmentIndex, PreviewKind kind, string why);
}
