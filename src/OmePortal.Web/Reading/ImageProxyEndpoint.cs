using System.Buffers;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using OmePortal.Web.Hosting;
using OmePortal.Core.Access;
using OmePortal.Data;
using OmePortal.Web.Access;

namespace OmePortal.Web.Reading;

/// <summary>
/// <c>GET /messages/{id}/remote-image?u=…&amp;s=…</c>: a remote image of a message, fetched by the portal
/// for a reader who asked to see images, so the sender's server learns neither the reader's address nor
/// their browser, cookies or referrer (docs/ARCHITECTURE.md §8).
/// </summary>
/// <remarks>
/// In order: the signature (<see cref="ImageProxyUrls"/>) must be valid for this message and URL; the
/// access decision is asked for the session it names, as for the body and inline images (anything but
/// Granted answers as there: sign-in, 403 or 404), and nothing is fetched before both. The fetch
/// (<see cref="ImageProxyFetcher"/>) has a time limit, and the body is counted while it streams: past
/// <see cref="ImageProxyOptions.MaxBytes"/> the response is broken off. Anything the origin gets wrong
/// answers 502 with no detail.
/// </remarks>
public static partial class ImageProxyEndpoint
{
    /// <summary>Rate-limiter policy of the proxy, per client address.</summary>
    public const string RateLimit = "remote-images";

    /// <summary>What the browser gets with a proxied image: private, never sniffed, never a document.</summary>
    public static void ImageHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.CacheControl = "private, no-store";
        headers.Pragma = "no-cache";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }

    public static WebApplicationBuilder AddImageProxy(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ImageProxyOptions>().BindConfiguration(ImageProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ImageProxyOptions>, ImageProxyOptionsValidator>();
        builder.Services.AddSingleton<ImageProxyUrls>();
        builder.Services.AddSingleton<ImageProxyFetcher>();
        builder.Services.AddRateLimiter(o => o.AddPerClientPerMinutePolicy(
            RateLimit, context => context.RequestServices.GetRequiredService<IOptions<ImageProxyOptions>>().Value.RequestsPerMinutePerClient));
        return builder;
    }

    public static IEndpointRouteBuilder MapImageProxy(this IEndpointRouteBuilder app)
    {
        app.MapGet("/messages/{id:guid}/remote-image", ProxyAsync).RequireRateLimiting(RateLimit);
        return app;
    }

    private static async Task<IResult> ProxyAsync(
        Guid id,
        string? u,
        string? s,
        HttpContext http,
        ImageProxyUrls urls,
        RecipientAccess access,
        OmePortalDbContext db,
        TimeProvider time,
        ImageProxyFetcher fetcher,
        IOptions<ImageProxyOptions> options,
        ILogger<ImageProxyFetcher> logger,
        CancellationToken cancellationToken)
    {
        ReadingHeaders.NoStore(http.Response);
        if (urls.Validate(id, u, s) is not { } sessionId || !Uri.TryCreate(u, UriKind.Absolute, out var target))
        {
            return Results.NotFound();
        }

        // The frame's image requests carry no cookie: the signed session is the reader, if it is still live.
        var reader = await ReadingEndpoints.LiveSessionPrincipalAsync(db, time, sessionId, cancellationToken) ?? new ClaimsPrincipal(new ClaimsIdentity());
        var result = await access.DecideAsync(id, reader, cancellationToken);
        switch (result.Decision)
        {
            case AccessDecision.Granted:
                await ProxyGrantedAsync(http, target, fetcher, options.Value, logger);
                return Results.Empty;
            case AccessDecision.NeedsSignIn:
                return Results.Redirect(ReadingEndpoints.SignInUrl(ReadingEndpoints.MessageUrl(id)));
            case AccessDecision.NeedsOtherSignIn:
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            default:
                return Results.NotFound();
        }
    }

    private static async Task ProxyGrantedAsync(HttpContext http, Uri target, ImageProxyFetcher fetcher, ImageProxyOptions options, ILogger logger)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        limit.CancelAfter(options.Timeout);
        ImageFetch fetch;
        try
        {
            fetch = await fetcher.FetchAsync(target, limit.Token);
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            Log.TimedOut(logger, target.Host);
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        switch (fetch)
        {
            case ImageFetch.Refused refused:
                Log.Refused(logger, refused.Host, refused.Reason);
                http.Response.StatusCode = StatusCodes.Status502BadGateway;
                return;
            case ImageFetch.Fetched fetched:
                using (fetched)
                {
                    await StreamAsync(http, fetched, options, logger, limit.Token);
                }

                return;
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>Passes the image on, counting: past the limit, or when the time is up, the response is broken off.</summary>
    private static async Task StreamAsync(HttpContext http, ImageFetch.Fetched image, ImageProxyOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var response = http.Response;
        ImageHeaders(response);
        response.ContentType = image.MediaType;
        response.ContentLength = image.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long sent = 0;
        try
        {
            await response.Body.WriteAsync(image.Head, cancellationToken);
            sent = image.Head.Length;
            int read;
            while ((read = await image.Rest.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sent += read;
                if (sent > options.MaxBytes)
                {
                    // Headers and part of the image have gone: the only honest end is a broken response.
                    Log.CutOff(logger, image.Response.RequestMessage?.RequestUri?.Host ?? string.Empty, options.MaxBytes);
                    http.Abort();
                    return;
                }

                await response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            Log.BrokeOff(logger, image.Response.RequestMessage?.RequestUri?.Host ?? string.Empty, sent);
            http.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 8201, Level = LogLevel.Information, Message = "Image proxy refused a remote image from {Host}: {Reason}.")]
        public static partial void Refused(ILogger logger, string host, ImageFetchRefusal reason);

        [LoggerMessage(EventId = 8202, Level = LogLevel.Information, Message = "Image proxy gave up on a remote image from {Host}: the time limit passed.")]
        public static partial void TimedOut(ILogger logger, string host);

        [LoggerMessage(EventId = 8203, Level = LogLevel.Information, Message = "Image proxy cut off a remote image from {Host} at {MaxBytes} bytes.")]
        public static partial void CutOff(ILogger logger, string host, long maxBytes);

        [LoggerMessage(EventId = 8204, Level = LogLevel.Information, Message = "Image proxy lost a remote image from {Host} after {Bytes} bytes.")]
        public static partial void BrokeOff(ILogger logger, string host, long bytes);
    }
}
