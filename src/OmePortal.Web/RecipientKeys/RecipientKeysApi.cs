using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using OmePortal.Core.RecipientKeys;
using OmePortal.Data;
using OmePortal.Web.Intake;

namespace OmePortal.Web.RecipientKeys;

/// <summary>A directory entry as the API shows it.</summary>
public sealed record RecipientKeyView(
    string Address,
    string Kind,
    string Fingerprint,
    bool Usable,
    string Status,
    string Reason,
    string? PgpFormat,
    DateTimeOffset? NotAfter,
    DateTimeOffset AddedAt,
    string Source);

public sealed record TrustAnchorView(string Fingerprint, string Subject, DateTimeOffset NotAfter, DateTimeOffset AddedAt);

/// <summary>
/// Provisioning of the recipient key directory over REST with the tenant API key (README, "Recipient keys and
/// signing"): <c>POST /api/v1/recipient-keys</c> with one key file as the body, <c>GET</c> (all, or one by
/// fingerprint) and <c>DELETE</c> by fingerprint; trust anchors likewise under <c>/trust-anchors</c>. Every
/// query is the caller's tenant's (another tenant's fingerprint is "not found"); bad input is problem details.
/// </summary>
public static class RecipientKeysApi
{
    /// <summary>Media types a key file may be sent as.</summary>
    public static readonly IReadOnlyList<string> ContentTypes =
        ["application/pgp-keys", "application/pkix-cert", "application/x-pem-file", "application/pkcs7-mime", "application/x-pkcs7-certificates", "application/octet-stream"];

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/recipient-keys").RequireAuthorization(IntakeExtensions.ApiPolicy);
        api.MapPost("/", CreateAsync);
        api.MapGet("/", ListAsync);
        api.MapGet("/trust-anchors", ListAnchorsAsync);
        api.MapPost("/trust-anchors", AddAnchorsAsync);
        api.MapGet("/trust-anchors/{fingerprint}", GetAnchorAsync);
        api.MapDelete("/trust-anchors/{fingerprint}", DeleteAnchorAsync);
        api.MapGet("/{fingerprint}", GetAsync);
        api.MapDelete("/{fingerprint}", DeleteAsync);
    }

    private static async Task<Results<Created<RecipientKeyView>, Ok<RecipientKeyView>, ProblemHttpResult>> CreateAsync(
        HttpContext http, string? address, string? format, RecipientKeyDirectory directory, CancellationToken cancellationToken)
    {
        PgpFormat? pgpFormat = null;
        if (!string.IsNullOrEmpty(format))
        {
            if (!Enum.TryParse<PgpFormat>(format, ignoreCase: true, out var parsed) || char.IsDigit(format[0]))
            {
                return Problem(StatusCodes.Status400BadRequest, "Invalid format", "format must be Mime or Inline (for OpenPGP keys).");
            }

            pgpFormat = parsed;
        }

        var body = await ReadKeyFileAsync(http, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var tenantId = ApiKeyAuthenticationHandler.TenantOf(http.User);
        var request = new KeyImportRequest(string.IsNullOrWhiteSpace(address) ? null : address, RecipientKeySource.Api, ApiKeyAuthenticationHandler.ActorOf(http.User),
            pgpFormat is null ? null : (RecipientKeyRecordPgpFormat)(int)pgpFormat.Value);
        var prepared = await directory.PrepareAsync(tenantId, body.Data, request, cancellationToken);
        switch (prepared)
        {
            case KeyImportResult.Refused refused:
                return Refusal(refused);
            case KeyImportResult.Imported { Keys.Count: > 1 }:
                return Problem(StatusCodes.Status400BadRequest, "One key per request", "The file holds several recipient keys; send each in its own request.");
        }

        var imported = ((KeyImportResult.Imported)prepared).Keys;
        await directory.SaveAsync(tenantId, imported, request, cancellationToken);
        var entry = await directory.GetAsync(tenantId, imported[0].Fingerprint, cancellationToken)
            ?? throw new InvalidOperationException("The key just stored is missing.");
        var view = View(entry);
        return imported[0].Replaced ? TypedResults.Ok(view) : TypedResults.Created($"/api/v1/recipient-keys/{view.Fingerprint}", view);
    }

    private static async Task<Ok<List<RecipientKeyView>>> ListAsync(HttpContext http, string? address, RecipientKeyDirectory directory, CancellationToken cancellationToken)
    {
        var tenantId = ApiKeyAuthenticationHandler.TenantOf(http.User);
        var entries = await directory.ListAsync(tenantId, address, limit: 1000, cancellationToken);
        return TypedResults.Ok(entries.Select(View).ToList());
    }

    private static async Task<Results<Ok<RecipientKeyView>, NotFound>> GetAsync(string fingerprint, HttpContext http, RecipientKeyDirectory directory, CancellationToken cancellationToken)
    {
        var entry = await directory.GetAsync(ApiKeyAuthenticationHandler.TenantOf(http.User), fingerprint, cancellationToken);
        return entry is null ? TypedResults.NotFound() : TypedResults.Ok(View(entry));
    }

    private static async Task<Results<NoContent, NotFound>> DeleteAsync(string fingerprint, HttpContext http, RecipientKeyDirectory directory, CancellationToken cancellationToken) =>
        await directory.RemoveAsync(ApiKeyAuthenticationHandler.TenantOf(http.User), fingerprint, ApiKeyAuthenticationHandler.ActorOf(http.User), cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.NotFound();

    private static async Task<Ok<List<TrustAnchorView>>> ListAnchorsAsync(HttpContext http, RecipientTrustAnchors anchors, CancellationToken cancellationToken)
    {
        var list = await anchors.ListAsync(ApiKeyAuthenticationHandler.TenantOf(http.User), cancellationToken);
        return TypedResults.Ok(list.Select(AnchorView).ToList());
    }

    private static async Task<Results<Ok<TrustAnchorView>, NotFound>> GetAnchorAsync(string fingerprint, HttpContext http, RecipientTrustAnchors anchors, CancellationToken cancellationToken)
    {
        var anchor = await anchors.GetAsync(ApiKeyAuthenticationHandler.TenantOf(http.User), fingerprint, cancellationToken);
        return anchor is null ? TypedResults.NotFound() : TypedResults.Ok(AnchorView(anchor));
    }

    private static async Task<Results<Created<List<TrustAnchorView>>, ProblemHttpResult>> AddAnchorsAsync(HttpContext http, RecipientTrustAnchors anchors, CancellationToken cancellationToken)
    {
        var body = await ReadKeyFileAsync(http, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var result = await anchors.AddAsync(ApiKeyAuthenticationHandler.TenantOf(http.User), body.Data, ApiKeyAuthenticationHandler.ActorOf(http.User), cancellationToken);
        return result switch
        {
            TrustAnchorResult.Added added => TypedResults.Created("/api/v1/recipient-keys/trust-anchors", added.Anchors.Select(AnchorView).ToList()),
            TrustAnchorResult.Refused refused => Refusal(new KeyImportResult.Refused(refused.Error, refused.Detail)),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    private static async Task<Results<NoContent, NotFound>> DeleteAnchorAsync(string fingerprint, HttpContext http, RecipientTrustAnchors anchors, CancellationToken cancellationToken) =>
        await anchors.RemoveAsync(ApiKeyAuthenticationHandler.TenantOf(http.User), fingerprint, ApiKeyAuthenticationHandler.ActorOf(http.User), cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.NotFound();

    /// <summary>The body, at most <see cref="KeyFileLimits.MaxBytes"/> bytes; reading stops as soon as it passes that.</summary>
    private static async Task<(byte[] Data, ProblemHttpResult? Problem)> ReadKeyFileAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var mediaType)
            || !ContentTypes.Contains(mediaType.MediaType.Value ?? "", StringComparer.OrdinalIgnoreCase))
        {
            return ([], Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send the key file as the body with one of: {string.Join(", ", ContentTypes)}."));
        }

        var limit = KeyFileLimits.Default.MaxBytes;
        if (http.Request.ContentLength > limit)
        {
            return ([], TooLarge(limit));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit + 1;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return ([], TooLarge(limit));
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.Length == 0
            ? ([], Problem(StatusCodes.Status400BadRequest, "Empty body", "Send the key file as the request body."))
            : (buffer.ToArray(), null);
    }

    private static ProblemHttpResult Refusal(KeyImportResult.Refused refused) => refused.Error switch
    {
        KeyImportError.TooLarge => Problem(StatusCodes.Status413PayloadTooLarge, "Key file too large", refused.Detail),
        KeyImportError.Conflict => Problem(StatusCodes.Status409Conflict, "Key bound to another address", refused.Detail),
        KeyImportError.Malformed => Problem(StatusCodes.Status400BadRequest, "Malformed key file", refused.Detail),
        KeyImportError.TooComplex => Problem(StatusCodes.Status400BadRequest, "Key file too complex", refused.Detail),
        KeyImportError.ContainsSecretKey => Problem(StatusCodes.Status400BadRequest, "Secret key in the file", refused.Detail),
        KeyImportError.NotARecipientKey => Problem(StatusCodes.Status400BadRequest, "Not a recipient key", refused.Detail),
        KeyImportError.WrongAddress => Problem(StatusCodes.Status422UnprocessableEntity, "Wrong address", refused.Detail),
        KeyImportError.Expired => Problem(StatusCodes.Status422UnprocessableEntity, "Key expired", refused.Detail),
        KeyImportError.Revoked => Problem(StatusCodes.Status422UnprocessableEntity, "Key revoked", refused.Detail),
        KeyImportError.NoEncryptionKey => Problem(StatusCodes.Status422UnprocessableEntity, "No encryption key", refused.Detail),
        KeyImportError.Untrusted => Problem(StatusCodes.Status422UnprocessableEntity, "Key untrusted", refused.Detail),
        _ => Problem(StatusCodes.Status400BadRequest, "Key refused", refused.Detail),
    };

    private static RecipientKeyView View(DirectoryEntry entry) => new(
        entry.Record.Address,
        entry.Kind.ToString(),
        entry.Record.Fingerprint,
        entry.Check.IsUsable,
        entry.Check.Status.ToString(),
        entry.Check.Reason,
        entry.Kind == RecipientKeyKind.OpenPgp ? entry.PgpFormat.ToString() : null,
        entry.Record.NotAfter,
        entry.Record.AddedAt,
        entry.Record.Source.ToString());

    private static TrustAnchorView AnchorView(RecipientTrustAnchorRecord anchor) => new(anchor.Fingerprint, anchor.Subject, anchor.NotAfter, anchor.AddedAt);

    private static ProblemHttpResult TooLarge(int limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Key file too large", $"A key file may be at most {limit:N0} bytes.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
