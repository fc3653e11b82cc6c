using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using OmePortal.Core.Replies;

namespace OmePortal.Web.Replies;

/// <summary>One uploaded file: a cleaned name, the type decided by its content, and its base64 buffer.</summary>
public sealed record ReplyUpload(string FileName, string ContentType, EncodedAttachment Buffer);

/// <summary>What a reading of the compose form found wrong with it (the form is shown again).</summary>
public enum ReplyFormProblem
{
    None,
    TooManyFiles,
    TooLarge,
    BodyTooLong,
    AddressesTooLong,
}

/// <summary>The fields of a compose form. Dispose it: it owns the upload buffers.</summary>
public sealed class ReplyForm : IDisposable
{
    public string Body { get; set; } = string.Empty;

    public string? To { get; set; }

    /// <summary>A non-empty To, Cc or Bcc field was posted (the reply modes never send one).</summary>
    public bool RecipientFieldPosted { get; set; }

    /// <summary>Names of the Cc/Bcc fields that were posted (never part of any form).</summary>
    public bool CopyFieldPosted { get; set; }

    public List<ReplyUpload> Uploads { get; } = [];

    /// <summary>True when files were sent (they are not kept when the form is shown again).</summary>
    public bool FilesPosted { get; set; }

    public ReplyFormProblem Problem { get; set; }

    public void Dispose()
    {
        foreach (var upload in Uploads)
            upload.Buffer.Dispose();
        Uploads.Clear();
    }
}

/// <summary>Limits of one reading: file count, total upload bytes (already capped by the tenant's message size), text length.</summary>
public sealed record ReplyFormLimits(int MaxFiles, long MaxUploadBytes, int MaxBodyChars);

/// <summary>
/// Reads the multipart compose form as a stream, section by section, instead of letting ASP.NET Core
/// buffer it (which would spill uploads to plaintext temporary files on disk):
/// <list type="number">
/// <item>the first section must be the antiforgery field; it is validated before anything else is read,</item>
/// <item>text fields are read up to their limits,</item>
/// <item>each file is base64-encoded into memory as it arrives (<see cref="EncodedAttachment"/>), and
/// reading stops at the first file beyond the count or size limit.</item>
/// </list>
/// Returns null when the request is not a valid form of this portal (no multipart, bad antiforgery token).
/// </summary>
public sealed partial class ReplyFormReader(IAntiforgery antiforgery, IOptions<AntiforgeryOptions> antiforgeryOptions, ILogger<ReplyFormReader> logger)
{
    public const string BodyField = "Body";
    public const string ToField = "To";
    public const string AttachmentsField = "Attachments";

    private const int MaxAddressBytes = 8 * 1024;
    private const int MaxTokenBytes = 4 * 1024;

    // Room for the text fields and multipart framing beyond the uploads themselves.
    private const long Overhead = 1024 * 1024;

    public async Task<ReplyForm?> ReadAsync(HttpContext context, ReplyFormLimits limits, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
        {
            return null;
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = limits.MaxUploadBytes + (limits.MaxBodyChars * 4L) + Overhead;
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 8, HeadersLengthLimit = 8 * 1024 };
        var form = new ReplyForm();
        try
        {
            if (!await ValidateAntiforgeryAsync(context, reader, cancellationToken))
            {
                form.Dispose();
                return null;
            }

            await ReadFieldsAsync(reader, form, limits, cancellationToken);
            return form;
        }
        catch (InvalidDataException ex)
        {
            // Malformed multipart (or headers beyond the limits).
            LogMalformed(ex.Message);
            form.Dispose();
            return null;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            form.Dispose();
            form.Problem = ReplyFormProblem.TooLarge;
            return form;
        }
        catch
        {
            form.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The form puts the antiforgery field first. Its value is handed to the antiforgery service as
    /// the request header, so that the service does not read (and buffer) the form itself.
    /// </summary>
    private async Task<bool> ValidateAntiforgeryAsync(HttpContext context, MultipartReader reader, CancellationToken cancellationToken)
    {
        var options = antiforgeryOptions.Value;
        var headerName = options.HeaderName ?? throw new InvalidOperationException("The antiforgery header name must be set.");
        var section = await reader.ReadNextSectionAsync(cancellationToken);
        if (section is null || !TryField(section, out var name, out var isFile) || isFile || name != options.FormFieldName)
        {
            LogAntiforgeryFailed("missing");
            return false;
        }

        var (token, tooLong) = await ReadTextAsync(section.Body, MaxTokenBytes, cancellationToken);
        if (tooLong || token.Length == 0)
        {
            LogAntiforgeryFailed("malformed");
            return false;
        }

        context.Request.Headers[headerName] = token;
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            LogAntiforgeryFailed("invalid");
            return false;
        }

        return true;
    }

    private static async Task ReadFieldsAsync(MultipartReader reader, ReplyForm form, ReplyFormLimits limits, CancellationToken cancellationToken)
    {
        var remaining = limits.MaxUploadBytes;
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync(cancellationToken)) is not null)
        {
            if (!TryField(section, out var name, out var isFile))
            {
                continue;
            }

            if (isFile)
            {
                if (name != AttachmentsField)
                {
                    continue;
                }

                var fileName = FileNameOf(section);
                var buffer = new EncodedAttachment();
                var fits = await buffer.CopyFromAsync(section.Body, remaining, cancellationToken);
                if (buffer.Length == 0 && fits && string.IsNullOrEmpty(fileName))
                {
                    // A file input with no file chosen still sends an empty part.
                    buffer.Dispose();
                    continue;
                }

                form.FilesPosted = true;
                if (!fits || form.Uploads.Count >= limits.MaxFiles)
                {
                    buffer.Dispose();
                    form.Problem = fits ? ReplyFormProblem.TooManyFiles : ReplyFormProblem.TooLarge;
                    return;
                }

                remaining -= buffer.Length;
                var cleaned = HeaderText.FileName(fileName, form.Uploads.Count);
                var type = AttachmentTypes.Detect(cleaned, buffer.Head, complete: buffer.Length <= EncodedAttachment.HeadLength);
                form.Uploads.Add(new ReplyUpload(cleaned, type, buffer));
                continue;
            }

            switch (name)
            {
                case BodyField:
                    var (body, bodyTooLong) = await ReadTextAsync(section.Body, limits.MaxBodyChars * 4, cancellationToken);
                    form.Body = body.Length > limits.MaxBodyChars ? body[..limits.MaxBodyChars] : body;
                    if (bodyTooLong || body.Length > limits.MaxBodyChars)
                    {
                        form.Problem = ReplyFormProblem.BodyTooLong;
                    }

                    break;
                case ToField:
                    var (to, toTooLong) = await ReadTextAsync(section.Body, MaxAddressBytes, cancellationToken);
                    form.To = to;
                    form.RecipientFieldPosted |= !string.IsNullOrWhiteSpace(to);
                    if (toTooLong)
                    {
                        form.Problem = ReplyFormProblem.AddressesTooLong;
                    }

                    break;
                case "Cc" or "Bcc":
                    var (copy, _) = await ReadTextAsync(section.Body, MaxAddressBytes, cancellationToken);
                    if (!string.IsNullOrWhiteSpace(copy))
                    {
                        form.RecipientFieldPosted = true;
                        form.CopyFieldPosted = true;
                    }

                    break;
            }
        }
    }

    private static bool TryField(MultipartSection section, out string name, out bool isFile)
    {
        name = string.Empty;
        isFile = false;
        if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
            || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
        isFile = disposition.FileName.HasValue || disposition.FileNameStar.HasValue;
        return name.Length > 0;
    }

    private static string FileNameOf(MultipartSection section)
    {
        ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition);
        if (disposition?.FileNameStar.HasValue == true)
        {
            return disposition.FileNameStar.Value ?? string.Empty;
        }

        return HeaderUtilities.RemoveQuotes(disposition?.FileName ?? default).Value ?? string.Empty;
    }

    /// <summary>Reads UTF-8 text up to <paramref name="maxBytes"/>; says whether there was more (which is then not read).</summary>
    private static async Task<(string Text, bool TooLong)> ReadTextAsync(Stream body, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(maxBytes + 1, 64 * 1024)];
        using var collected = new MemoryStream();
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (collected.Length + read > maxBytes)
            {
                collected.Write(buffer, 0, (int)(maxBytes - collected.Length));
                return (Decode(collected), true);
            }

            collected.Write(buffer, 0, read);
        }

        return (Decode(collected), false);
    }

    private static string Decode(MemoryStream bytes) =>
        Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Reply form refused: antiforgery token {Reason}.")]
    private partial void LogAntiforgeryFailed(string reason);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Reply form refused: malformed multipart body ({Detail}).")]
    private partial void LogMalformed(string detail);
}
