using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Reading;

/// <summary>Why the proxy did not pass an image on.</summary>
public enum ImageFetchRefusal
{
    /// <summary>Not an absolute http(s) URL without user information (also a redirect to one).</summary>
    Scheme,

    /// <summary>The host is, or resolves to, an address that is not public unicast (<see cref="ImageProxyAddresses"/>).</summary>
    Address,

    /// <summary>More redirects than <see cref="ImageProxyOptions.MaxRedirects"/>, or a redirect without a location.</summary>
    Redirects,

    /// <summary>The origin answered anything but 200.</summary>
    Status,

    /// <summary>Not one of the raster types passed on, or content that is not what the type says.</summary>
    ContentType,

    /// <summary>The origin declared more than <see cref="ImageProxyOptions.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>The origin could not be reached or broke off.</summary>
    Unreachable,
}

/// <summary>What <see cref="ImageProxyFetcher.FetchAsync"/> found: an image to pass on, or a refusal.</summary>
public abstract record ImageFetch
{
    private ImageFetch()
    {
    }

    /// <summary>
    /// An image whose headers were accepted: <see cref="Head"/> are its first bytes (already checked
    /// against <see cref="MediaType"/>), <see cref="Rest"/> the stream of the remainder. Dispose it.
    /// </summary>
    public sealed record Fetched(string MediaType, long? Length, ReadOnlyMemory<byte> Head, Stream Rest, HttpResponseMessage Response) : ImageFetch, IDisposable
    {
        public void Dispose()
        {
            Rest.Dispose();
            Response.Dispose();
        }
    }

    public sealed record Refused(ImageFetchRefusal Reason, string Host) : ImageFetch;
}

/// <summary>
/// Fetches a remote image for the proxy: http and https only, to public addresses only, redirects
/// followed by hand (each checked like the first), no cookies, no referrer, a neutral User-Agent, and
/// only the raster types a browser shows as an image (never SVG, which can carry script).
/// </summary>
/// <remarks>
/// The address check sits in the connection itself (<see cref="SocketsHttpHandler.ConnectCallback"/>):
/// the host is resolved once, every address it resolves to is checked, and the socket connects to a
/// checked address. A name whose records change between a check and the connect (DNS rebinding) can
/// therefore not steer the connection inside, and no connection attempt is ever made to a refused
/// address. No system proxy is used, for the same reason: a proxy would connect on our behalf.
/// </remarks>
public sealed class ImageProxyFetcher : IDisposable
{
    /// <summary>The types passed on, as sent to the browser. Only raster formats: no SVG, no icons of several kinds.</summary>
    public static readonly IReadOnlySet<string> ImageTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif",
    };

    /// <summary>Says nothing about the reader or the portal's version.</summary>
    public const string UserAgent = "Mozilla/5.0 (compatible; image proxy)";

    private const int HeadLength = 32;

    private readonly HttpClient _client;
    private readonly ImageProxyOptions _options;

    public ImageProxyFetcher(IOptions<ImageProxyOptions> options)
    {
        _options = options.Value;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            Credentials = null,
            PreAuthenticate = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = _options.Timeout,
            MaxResponseHeadersLength = 64,
            MaxConnectionsPerServer = 8,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Fetches <paramref name="url"/>; the caller bounds the time with <paramref name="cancellationToken"/>
    /// (a timeout shows as <see cref="OperationCanceledException"/>).
    /// </summary>
    public async Task<ImageFetch> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        var current = url;
        for (var redirects = 0; ; redirects++)
        {
            if (!ImageProxyUrls.IsFetchable(current))
            {
                return new ImageFetch.Refused(ImageFetchRefusal.Scheme, current.IsAbsoluteUri ? current.Host : string.Empty);
            }

            var (answered, failure) = await SendAsync(current, cancellationToken);
            if (answered is null)
            {
                return new ImageFetch.Refused(failure, current.Host);
            }

            if (IsRedirect(answered.StatusCode))
            {
                var location = answered.Headers.Location;
                answered.Dispose();
                if (location is null || redirects >= _options.MaxRedirects)
                {
                    return new ImageFetch.Refused(ImageFetchRefusal.Redirects, current.Host);
                }

                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }

            return await AcceptAsync(current, answered, cancellationToken);
        }
    }

    /// <summary>The origin's answer (headers read), or null and why not.</summary>
    private async Task<(HttpResponseMessage? Response, ImageFetchRefusal Failure)> SendAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.UserAgent.ParseAdd(UserAgent);
        request.Headers.Accept.ParseAdd("image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9");
        try
        {
            return (await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken), default);
        }
        catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, IsAddressRefusal(e) ? ImageFetchRefusal.Address : ImageFetchRefusal.Unreachable);
        }
    }

    private async Task<ImageFetch> AcceptAsync(Uri url, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var refusal = response.StatusCode != HttpStatusCode.OK ? ImageFetchRefusal.Status
            : MediaTypeOf(response.Content.Headers.ContentType) is null ? ImageFetchRefusal.ContentType
            : response.Content.Headers.ContentLength > _options.MaxBytes ? ImageFetchRefusal.TooLarge
            : (ImageFetchRefusal?)null;
        if (refusal is { } refused)
        {
            response.Dispose();
            return new ImageFetch.Refused(refused, url.Host);
        }

        var mediaType = MediaTypeOf(response.Content.Headers.ContentType)!;
        Stream? body = null;
        try
        {
            body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var head = new byte[HeadLength];
            var read = await body.ReadAtLeastAsync(head, HeadLength, throwOnEndOfStream: false, cancellationToken);
            if (!LooksLike(mediaType, head.AsSpan(0, read)))
            {
                body.Dispose();
                response.Dispose();
                return new ImageFetch.Refused(ImageFetchRefusal.ContentType, url.Host);
            }

            return new ImageFetch.Fetched(mediaType, response.Content.Headers.ContentLength, head.AsMemory(0, read), body, response);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            body?.Dispose();
            response.Dispose();
            return new ImageFetch.Refused(ImageFetchRefusal.Unreachable, url.Host);
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>The declared type when it is one passed on, lower case and without parameters; else null.</summary>
    public static string? MediaTypeOf(MediaTypeHeaderValue? contentType) =>
        contentType?.MediaType?.ToLowerInvariant() is { } type && ImageTypes.Contains(type) ? type : null;

    /// <summary>The first bytes are those of the declared format (a page served as image/png is not passed on).</summary>
    public static bool LooksLike(string mediaType, ReadOnlySpan<byte> head) => mediaType switch
    {
        "image/png" => head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]),
        "image/jpeg" => head.StartsWith((ReadOnlySpan<byte>)[0xff, 0xd8, 0xff]),
        "image/gif" => head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8),
        "image/webp" => head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8),
        "image/avif" => head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8) && (head[8..].IndexOf("avif"u8) >= 0 || head[8..].IndexOf("avis"u8) >= 0),
        _ => false,
    };

    private static bool IsAddressRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is AddressRefusedException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Resolves the host once, refuses it unless every address is public, and connects to a checked address.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.TrimStart('[').TrimEnd(']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);

        // Every address, not just the one used: a name that points inside anywhere is not fetched at all.
        if (addresses.Length == 0 || addresses.Any(a => !ImageProxyAddresses.IsAllowed(a, _options.AllowLoopbackTargets)))
        {
            throw new AddressRefusedException();
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    public void Dispose() => _client.Dispose();

    private sealed class AddressRefusedException() : Exception("The host resolves to an address the image proxy does not connect to.");
}
