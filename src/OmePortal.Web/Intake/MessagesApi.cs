using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Web.Rules;
using OmePortal.Web.Telemetry;

namespace OmePortal.Web.Intake;

public sealed record CreatedRecipient(string Address, string Link);

public sealed record MessageCreated(Guid Id, ProtectionLevel Protection, DateTimeOffset? ExpiresAt, IReadOnlyList<CreatedRecipient> Recipients);

public sealed record RecipientStatus(string Address, string Kind, string Notification, int NotificationAttempts);

public sealed record MessageStatus(Guid Id, ProtectionLevel Protection, DateTimeOffset ReceivedAt, DateTimeOffset? ExpiresAt, bool Shredded, long Size, IReadOnlyList<RecipientStatus> Recipients);

/// <summary>REST intake: <c>POST /api/v1/messages</c> with a raw RFC 5322 message (docs/ARCHITECTURE.md §5).</summary>
public static class MessagesApi
{
    public const string ContentType = "message/rfc822";

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/messages").RequireAuthorization(IntakeExtensions.ApiPolicy);
        api.MapPost("/", CreateAsync);
        api.MapGet("/{id:guid}", GetAsync).WithName("GetMessage");
        return app;
    }

    private static async Task<Results<Created<MessageCreated>, ProblemHttpResult>> CreateAsync(
        HttpContext http,
        string? protection,
        string? template,
        string? expiresInDays,
        string? delivery,
        MessageIngestor ingestor,
        MailFlowRules rules,
        OmePortalDbContext db,
        Microsoft.Extensions.Options.IOptions<IntakeOptions> intake,
        PortalMetrics metrics,
        CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            metrics.Refused(IntakeChannel.Rest, RefusalReasons.UnsupportedMediaType);
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", $"Send the raw message with 'Content-Type: {ContentType}'.");
        }

        ProtectionLevel? level = null;
        if (!string.IsNullOrEmpty(protection))
        {
            if (!Enum.TryParse<ProtectionLevel>(protection, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || char.IsDigit(protection[0]))
            {
                metrics.Refused(IntakeChannel.Rest, RefusalReasons.InvalidRequest);
                return Problem(StatusCodes.Status400BadRequest, "Invalid protection", "protection must be EncryptOnly or DoNotForward.");
            }

            level = parsed;
        }

        int? days = null;
        if (!string.IsNullOrEmpty(expiresInDays))
        {
            if (!int.TryParse(expiresInDays, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) || d > MessageIngestor.MaxExpiryDays)
            {
                metrics.Refused(IntakeChannel.Rest, IngestError.InvalidExpiry);
                return Problem(StatusCodes.Status400BadRequest, "Invalid expiry", $"expiresInDays must be a whole number from 0 to {MessageIngestor.MaxExpiryDays}.");
            }

            days = d;
        }

        // delivery=best: recipients with a usable key get the message end to end (S/MIME, PGP); portal: everyone uses the portal.
        OmePortal.Core.EndToEnd.DeliveryPreference? deliveryPreference = null;
        if (!string.IsNullOrEmpty(delivery))
        {
            if (!Enum.TryParse<OmePortal.Core.EndToEnd.DeliveryPreference>(delivery, ignoreCase: true, out var chosen) || !Enum.IsDefined(chosen) || char.IsDigit(delivery[0]))
            {
                metrics.Refused(IntakeChannel.Rest, RefusalReasons.InvalidRequest);
                return Problem(StatusCodes.Status400BadRequest, "Invalid delivery", "delivery must be best or portal.");
            }

            deliveryPreference = chosen;
        }

        var tenantId = ApiKeyAuthenticationHandler.TenantOf(http.User);
        var limit = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.MaxMessageBytes).SingleAsync(cancellationToken);
        if (http.Request.ContentLength > limit)
        {
            metrics.Refused(IntakeChannel.Rest, IngestError.TooLarge);
            return TooLarge(limit);
        }

        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = limit + 1;
        }

        using var body = await ReadBodyAsync(http.Request, limit, cancellationToken);
        if (body is null)
        {
            metrics.Refused(IntakeChannel.Rest, IngestError.TooLarge);
            return TooLarge(limit);
        }

        // Before the rules look into it: a message of 50,000 parts or 100,000 header lines is refused in one pass.
        if (MessageParser.CheckStructure(body, intake.Value.MimeLimits, cancellationToken) is { } tooComplex)
        {
            metrics.Refused(IntakeChannel.Rest, tooComplex.Error);
            return Problem(StatusCodes.Status400BadRequest, TitleOf(tooComplex.Error), tooComplex.Detail);
        }

        // A caller that chose the protection has decided; otherwise the tenant's mail-flow rules do. A REST caller
        // always asked for protection, so a message no rule encrypts (or one a rule exempts) is still encrypted,
        // with the tenant default. A template or expiry given in the query wins over the rule's.
        // The delivery choice follows the same order: the query's, else the rule's; only a rule can let a Do-Not-Forward
        // message go end to end.
        var endToEndForDoNotForward = false;
        if ((level is null || deliveryPreference is null)
            && await rules.EvaluateAsync(tenantId, body, null, null, cancellationToken) is RulesVerdict.Evaluated { Encryption: { } byRule })
        {
            if (level is null)
            {
                level = byRule.Protection;
                template = string.IsNullOrWhiteSpace(template) ? byRule.TemplateName : template;
                days ??= byRule.ExpiresInDays;
            }

            deliveryPreference ??= byRule.Rule.Action.Delivery;
            endToEndForDoNotForward = byRule.Rule.Action.EndToEndForDoNotForward;
        }

        var result = await ingestor.IngestAsync(
            new IngestRequest(
                tenantId, body, IngestSource.Api, level, template, days, Actor: ApiKeyAuthenticationHandler.ActorOf(http.User),
                Delivery: deliveryPreference ?? OmePortal.Core.EndToEnd.DeliveryPreference.Portal, EndToEndForDoNotForward: endToEndForDoNotForward),
            cancellationToken);
        switch (result)
        {
            case IngestResult.Accepted:
                metrics.Accepted(IntakeChannel.Rest);
                break;
            case IngestResult.Rejected rejected:
                metrics.Refused(IntakeChannel.Rest, rejected.Error);
                break;
        }

        return result switch
        {
            IngestResult.Accepted ok => TypedResults.Created(
                $"/api/v1/messages/{ok.MessageId}",
                new MessageCreated(ok.MessageId, ok.Protection, ok.ExpiresAt, [.. ok.Recipients.Select(r => new CreatedRecipient(r.Address, r.Link))])),
            IngestResult.Rejected { Error: IngestError.TooLarge } => TooLarge(limit),
            IngestResult.Rejected rejected => Problem(StatusCodes.Status400BadRequest, TitleOf(rejected.Error), rejected.Detail),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private static async Task<Results<Ok<MessageStatus>, NotFound>> GetAsync(Guid id, HttpContext http, OmePortalDbContext db, CancellationToken cancellationToken)
    {
        var tenantId = ApiKeyAuthenticationHandler.TenantOf(http.User);
        var message = await db.Messages.AsNoTracking().Include(m => m.Recipients)
            .SingleOrDefaultAsync(m => m.Id == id && m.TenantId == tenantId, cancellationToken);
        if (message is null)
        {
            return TypedResults.NotFound();
        }

        var mails = await db.OutboundMails.AsNoTracking().Where(o => o.MessageId == id && o.TenantId == tenantId)
            .Select(o => new { o.RecipientId, o.Status, o.Attempts }).ToListAsync(cancellationToken);
        var recipients = message.Recipients.OrderBy(r => r.Kind).ThenBy(r => r.Address).Select(r =>
        {
            var mail = mails.FirstOrDefault(m => m.RecipientId == r.Id);
            return new RecipientStatus(r.Address, r.Kind.ToString(), mail?.Status.ToString() ?? "None", mail?.Attempts ?? 0);
        }).ToList();
        return TypedResults.Ok(new MessageStatus(message.Id, message.Protection, message.ReceivedAt, message.ExpiresAt, message.WrappedKey is null, message.SizeBytes, recipients));
    }

    /// <summary>
    /// Reads the body once into memory (the only whole copy intake keeps), stopping as soon as it
    /// passes the limit. Returns null when it is too large. The buffer grows with the bytes that
    /// actually arrived: a declared Content-Length only caps the growth (so the last step is exact),
    /// it never reserves memory for data a client has not sent.
    /// </summary>
    private static async Task<MemoryStream?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        const int InitialCapacity = 64 * 1024;
        var declared = request.ContentLength is { } length and > 0 and <= int.MaxValue ? (int)length : (int?)null;
        var buffer = new MemoryStream(Math.Min(InitialCapacity, declared ?? InitialCapacity));
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    await buffer.DisposeAsync();
                    return null;
                }

                var needed = (int)buffer.Length + read;
                if (needed > buffer.Capacity)
                {
                    var grown = (int)Math.Min(Math.Max((long)buffer.Capacity * 2, needed), limit);
                    buffer.Capacity = declared is int expected && needed <= expected ? Math.Min(grown, expected) : grown;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await buffer.DisposeAsync();
            return null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        buffer.Position = 0;
        return buffer;
    }

    private static string TitleOf(IngestError error) => error switch
    {
        IngestError.NotAMessage => "Not a message",
        IngestError.Unparseable => "Unparseable message",
        IngestError.NoRecipients => "No recipients",
        IngestError.TooLarge => "Message too large",
        IngestError.UnknownTemplate => "Unknown template",
        IngestError.InvalidExpiry => "Invalid expiry",
        IngestError.SenderNotAccepted => "Sender not accepted",
        IngestError.TooManyRecipients => "Too many recipients",
        IngestError.TooComplex => "Message too complex",
        _ => "Invalid message",
    };

    private static ProblemHttpResult TooLarge(long limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Message too large", $"The message exceeds this tenant's limit of {limit} bytes.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
