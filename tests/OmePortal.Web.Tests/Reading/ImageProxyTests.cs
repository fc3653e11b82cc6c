using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Reading;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Reading;

/// <summary>
/// Remote images through the portal's image proxy (issue 19, item 9), over real HTTP: a real portal, a
/// real image server on loopback (<see cref="ImageOrigin"/>, allowed by the test seam
/// <see cref="ImageProxyOptions.AllowLoopbackTargets"/>), recipients signed in through the real passcode flow.
/// </summary>
public abstract class ImageProxyTests : IAsyncLifetime
{
    private const int MaxBytes = 64 * 1024;

    private PortalHost _host = null!;
    private ImageOrigin _origin = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync()
    {
        _origin = new ImageOrigin();
        var settings = Settings;
        settings["OmePortal:Reading:ImageProxy:AllowLoopbackTargets"] = "true";
        settings["OmePortal:Reading:ImageProxy:MaxBytes"] = MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["OmePortal:Reading:ImageProxy:Timeout"] = "00:00:05";
        _host = await new PortalHost(Storage, settings).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _origin.DisposeAsync();
    }

    /// <summary>A message to <paramref name="to"/> whose body shows each path of the origin as a remote image.</summary>
    private async Task<Ingested> MessageWithImagesAsync(string to, params string[] paths)
    {
        var images = string.Concat(paths.Select(p => $"<img src=\"{_origin.Url(p)}\" alt=\"{p}\">"));
        return await IngestAsync(_host, SimpleMessage(to, "Pictures " + Guid.NewGuid().ToString("N"), html: "<p>Look:</p>" + images));
    }

    /// <summary>The proxied URL of each remote image, in body order, as the opted-in body frame shows them.</summary>
    private static async Task<IReadOnlyList<string>> ProxiedUrlsAsync(RecipientBrowserlessClient reader, Guid id)
    {
        var (status, frame, _) = await GetAsync(reader.Http, $"/messages/{id}/body?images=1");
        Assert.Equal(HttpStatusCode.OK, status);
        var urls = new BodyFramePage(new HtmlPage(frame)).ResourceUrls;
        Assert.DoesNotContain(urls, u => u.StartsWith("http:", StringComparison.Ordinal) || u.StartsWith("https:", StringComparison.Ordinal));
        return [.. urls.Where(u => u.StartsWith($"/messages/{id}/remote-image?", StringComparison.Ordinal))];
    }

    private Task<Guid> LiveSessionOfAsync(string address) =>
        _host.DbAsync(db => db.RecipientSessions.Where(s => s.Address == address && s.EndedAt == null).Select(s => s.Id).SingleAsync());

    private static string WithQuery(string proxied, string name, string value)
    {
        var parts = proxied.Split('?', 2);
        var pairs = parts[1].Split('&').Select(p => p.StartsWith(name + "=", StringComparison.Ordinal) ? $"{name}={value}" : p);
        return parts[0] + "?" + string.Join('&', pairs);
    }

    [Fact]
    public async Task OptedInReader_GetsTheImageThroughTheProxy_AndTheOriginSeesNoCookieOrReferrer()
    {
        var png = ImageOrigin.Png(3000);
        _origin.Serve("/logo.png", new OriginResponse(200, "image/png", png));
        var message = await MessageWithImagesAsync("opted-in@example.nl", "/logo.png");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);

        var proxied = Assert.Single(await ProxiedUrlsAsync(reader, message.Id));
        Assert.Equal(0, _origin.Connections); // showing the frame fetched nothing

        // With the reader's cookie and a referrer, as a careless client would send them ...
        using var request = new HttpRequestMessage(HttpMethod.Get, proxied);
        request.Headers.Referrer = new Uri(_host.BaseUrl + $"/messages/{message.Id}");
        using var response = await reader.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(png, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("default-src 'none'; sandbox", Header(response, "Content-Security-Policy"));
        Assert.True(response.Headers.CacheControl?.Private == true, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));

        // ... and without any cookie, as the sandboxed frame asks.
        using var cookieless = _host.CreateHttpClient();
        Assert.Equal(png, await cookieless.GetByteArrayAsync(proxied));

        // The origin saw the portal only: no cookie, no referrer, nothing about the reader, a neutral agent.
        Assert.Equal(2, _origin.Requests.Count);
        foreach (var head in _origin.Requests)
        {
            Assert.StartsWith("GET /logo.png HTTP/1.1\r\n", head, StringComparison.Ordinal);
            var names = head.Split("\r\n").Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)].ToLowerInvariant()).ToList();
            Assert.DoesNotContain("cookie", names);
            Assert.DoesNotContain("referer", names);
            Assert.DoesNotContain(names, n => n.StartsWith("x-forwarded", StringComparison.Ordinal) || n == "forwarded" || n == "authorization");
            Assert.Contains($"User-Agent: {ImageProxyFetcher.UserAgent}\r\n", head, StringComparison.Ordinal);
            Assert.DoesNotContain("omeportal", head, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task NotOptedIn_TheBodyHoldsNoProxiedAndNoRemoteUrls()
    {
        _origin.Serve("/logo.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100)));
        var message = await MessageWithImagesAsync("not-opted-in@example.nl", "/logo.png");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);

        var (status, frame, response) = await GetAsync(reader.Http, $"/messages/{message.Id}/body");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("remote-image", frame, StringComparison.Ordinal);
        Assert.Empty(new BodyFramePage(new HtmlPage(frame)).ResourceUrls);
        Assert.Contains("data-ome-remote-src=\"http://127.0.0.1", frame, StringComparison.Ordinal);
        Assert.Contains("img-src 'self' data:;", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
        Assert.Equal(0, _origin.Connections);
    }

    [Fact]
    public async Task Stranger_AndAnEndedSession_AreRefused_AndNothingIsFetched()
    {
        _origin.Serve("/logo.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100)));
        var mine = await MessageWithImagesAsync("owner@example.nl", "/logo.png");
        var theirs = await MessageWithImagesAsync("stranger@example.nl", "/logo.png");
        using var owner = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, mine.Link);
        using var stranger = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, theirs.Link);
        var proxied = Assert.Single(await ProxiedUrlsAsync(owner, mine.Id));
        var strangersOwn = Assert.Single(await ProxiedUrlsAsync(stranger, theirs.Id));
        using var cookieless = _host.CreateHttpClient();

        // A URL signed by the portal for the stranger's session but the owner's message: the access decision says no.
        var strangerSession = await LiveSessionOfAsync("stranger@example.nl");
        var signedForStranger = _host.Services.GetRequiredService<ImageProxyUrls>().For(mine.Id, strangerSession, new Uri(_origin.Url("/logo.png")))!;
        foreach (var client in new[] { cookieless, stranger.Http })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(signedForStranger)).StatusCode);

            // The stranger's own signed URL, pointed at the owner's message: a signature names its message.
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(strangersOwn.Replace(theirs.Id.ToString(), mine.Id.ToString(), StringComparison.Ordinal))).StatusCode);
        }

        // The owner signs out: the URLs of that session stop working.
        using (var signedOut = await owner.PostFormAsync("/signout", new Dictionary<string, string>()))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        }

        using var afterSignOut = await cookieless.GetAsync(proxied);
        Assert.Equal(HttpStatusCode.Redirect, afterSignOut.StatusCode);
        Assert.StartsWith("/signin?returnUrl=", afterSignOut.Headers.Location?.OriginalString, StringComparison.Ordinal);

        // No signature at all.
        Assert.Equal(HttpStatusCode.NotFound, (await cookieless.GetAsync(proxied.Split("&s=")[0])).StatusCode);
        Assert.Equal(0, _origin.Connections);
    }

    [Fact]
    public async Task UrlNotInTheMessage_TamperedSignature_AndOtherMessage_AreRefused_AndNothingIsFetched()
    {
        _origin.Serve("/logo.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100)));
        _origin.Serve("/other.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100)));
        var message = await MessageWithImagesAsync("tamper@example.nl", "/logo.png");
        var second = await MessageWithImagesAsync("tamper@example.nl", "/other.png");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var proxied = Assert.Single(await ProxiedUrlsAsync(reader, message.Id));
        var signature = proxied.Split("&s=")[1];
        var flipped = (signature[10] == 'A' ? 'B' : 'A') + string.Empty;
        using var client = _host.CreateHttpClient();

        foreach (var forged in new[]
        {
            WithQuery(proxied, "u", Uri.EscapeDataString(_origin.Url("/other.png"))),  // a URL of another message of the reader
            WithQuery(proxied, "u", Uri.EscapeDataString("http://10.0.0.1/logo.png")),
            WithQuery(proxied, "u", Uri.EscapeDataString(_origin.Url("/logo.png?x=1"))),
            WithQuery(proxied, "s", signature[..10] + flipped + signature[11..]),
            WithQuery(proxied, "s", signature[..^2]),
            WithQuery(proxied, "s", "not-base64url!"),
            proxied.Replace(message.Id.ToString(), second.Id.ToString(), StringComparison.Ordinal), // the reader may read it, but the URL was not signed for it
        })
        {
            using var response = await client.GetAsync(forged);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{forged} answered {(int)response.StatusCode}");
        }

        Assert.Equal(0, _origin.Connections);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(proxied)).StatusCode); // the untouched URL works
    }

    [Fact]
    public async Task OversizedImage_IsRefusedWhenDeclared_AndCutOffWhileStreaming()
    {
        _origin.Serve("/declared.png", new OriginResponse(200, "image/png", ImageOrigin.Png(MaxBytes + 1)));
        _origin.Serve("/streamed.png", new OriginResponse(200, "image/png", ImageOrigin.Png(4 * MaxBytes), DeclareLength: false));
        _origin.Serve("/exact.png", new OriginResponse(200, "image/png", ImageOrigin.Png(MaxBytes), DeclareLength: false));
        var message = await MessageWithImagesAsync("big@example.nl", "/declared.png", "/streamed.png", "/exact.png");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var proxied = await ProxiedUrlsAsync(reader, message.Id);
        using var client = _host.CreateHttpClient();

        using (var declared = await client.GetAsync(proxied[0]))
        {
            Assert.Equal(HttpStatusCode.BadGateway, declared.StatusCode);
            Assert.NotEqual("image/png", declared.Content.Headers.ContentType?.MediaType);
        }

        // Undeclared: the image starts to flow and is broken off at the limit; the browser sees a failed image.
        var received = 0L;
        var brokenOff = false;
        try
        {
            using var streamed = await client.GetAsync(proxied[1], HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
            await using var stream = await streamed.Content.ReadAsStreamAsync();
            var buffer = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            brokenOff = true;
        }

        Assert.True(brokenOff, $"The oversized image was passed on whole ({received} bytes).");
        Assert.InRange(received, 0, MaxBytes);

        // Exactly the limit passes.
        Assert.Equal(ImageOrigin.Png(MaxBytes), await client.GetByteArrayAsync(proxied[2]));
    }

    [Fact]
    public async Task SlowOrigin_IsGivenUpOnAtTheTimeLimit()
    {
        _origin.Serve("/silent.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100), StallBeforeHeaders: true));
        _origin.Serve("/trickle.png", new OriginResponse(200, "image/png", ImageOrigin.Png(1000), StallAfter: 100));
        var message = await MessageWithImagesAsync("slow@example.nl", "/silent.png", "/trickle.png");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var proxied = await ProxiedUrlsAsync(reader, message.Id);
        using var client = _host.CreateHttpClient();
        client.Timeout = TimeSpan.FromSeconds(60);

        var started = System.Diagnostics.Stopwatch.StartNew();
        using (var silent = await client.GetAsync(proxied[0]))
        {
            Assert.Equal(HttpStatusCode.BadGateway, silent.StatusCode);
        }

        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(30)); // the 5 s limit, not the client's 60 s

        // Headers and a first part came in time, the rest never does: the response is broken off at the limit.
        started.Restart();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var trickle = await client.GetAsync(proxied[1], HttpCompletionOption.ResponseHeadersRead);
            await trickle.Content.ReadAsByteArrayAsync();
        });
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task WrongContentType_IsRefused()
    {
        _origin.Serve("/page", new OriginResponse(200, "text/html", "<script>alert(1)</script>"u8.ToArray()));
        _origin.Serve("/vector.svg", new OriginResponse(200, "image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"u8.ToArray()));
        _origin.Serve("/lying.png", new OriginResponse(200, "image/png", "<html><script>alert(1)</script></html>"u8.ToArray()));
        _origin.Serve("/untyped.png", new OriginResponse(200, null, ImageOrigin.Png(100)));
        _origin.Serve("/octets.png", new OriginResponse(200, "application/octet-stream", ImageOrigin.Png(100)));
        _origin.Serve("/missing.png", new OriginResponse(404, "image/png", ImageOrigin.Png(100)));
        _origin.Serve("/fine.gif", new OriginResponse(200, "image/GIF", "GIF89a\x01\0\x01\0\0\0\0;"u8.ToArray()));
        string[] paths = ["/page", "/vector.svg", "/lying.png", "/untyped.png", "/octets.png", "/missing.png", "/fine.gif"];
        var message = await MessageWithImagesAsync("types@example.nl", paths);
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var proxied = await ProxiedUrlsAsync(reader, message.Id);
        using var client = _host.CreateHttpClient();

        for (var i = 0; i < paths.Length - 1; i++)
        {
            using var response = await client.GetAsync(proxied[i]);
            Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{paths[i]} answered {(int)response.StatusCode}");
            Assert.DoesNotContain("alert", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var gif = await client.GetAsync(proxied[^1]);
        Assert.Equal(HttpStatusCode.OK, gif.StatusCode);
        Assert.Equal("image/gif", gif.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Redirects_AreFollowedOnlyToAllowedAddresses_AndAtMostThree()
    {
        _origin.Serve("/logo.png", new OriginResponse(200, "image/png", ImageOrigin.Png(500)));
        _origin.Serve("/to-private", OriginResponse.Redirect("http://10.0.0.1/logo.png"));
        _origin.Serve("/to-metadata", OriginResponse.Redirect("http://169.254.169.254/latest/meta-data/"));
        _origin.Serve("/to-file", OriginResponse.Redirect("file:///etc/passwd"));
        _origin.Serve("/to-ftp", OriginResponse.Redirect($"ftp://127.0.0.1:{_origin.Port}/logo.png"));
        _origin.Serve("/hop1", OriginResponse.Redirect("/hop2"));
        _origin.Serve("/hop2", OriginResponse.Redirect(_origin.Url("/hop3")));
        _origin.Serve("/hop3", OriginResponse.Redirect("/logo.png"));
        _origin.Serve("/hop0", OriginResponse.Redirect("/hop1"));
        string[] refused = ["/to-private", "/to-metadata", "/to-file", "/to-ftp", "/hop0"];
        var message = await MessageWithImagesAsync("redirects@example.nl", [.. refused, "/hop1"]);
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var proxied = await ProxiedUrlsAsync(reader, message.Id);
        using var client = _host.CreateHttpClient();

        for (var i = 0; i < refused.Length; i++)
        {
            using var response = await client.GetAsync(proxied[i]);
            Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{refused[i]} answered {(int)response.StatusCode}");
        }

        // Three redirects (relative and absolute) are followed to the image.
        Assert.Equal(ImageOrigin.Png(500), await client.GetByteArrayAsync(proxied[^1]));
        Assert.DoesNotContain(_origin.Requests, r => r.Contains("/etc/passwd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NonHttpUrls_AreNeverSigned_SoNeverFetched()
    {
        var signer = _host.Services.GetRequiredService<ImageProxyUrls>();
        var message = Guid.NewGuid();
        var session = Guid.NewGuid();
        foreach (var url in new[] { $"ftp://127.0.0.1:{_origin.Port}/logo.png", "file:///etc/passwd", "gopher://127.0.0.1:70/", $"http://user:secret@127.0.0.1:{_origin.Port}/logo.png" })
        {
            Assert.Null(signer.For(message, session, new Uri(url)));
        }

        Assert.NotNull(signer.For(message, session, new Uri(_origin.Url("/logo.png"))));
        Assert.Null(signer.For(message, session, new Uri(_origin.Url("/" + new string('a', ImageProxyUrls.MaxUrlLength)))));

        // A non-http URL in the message stays blocked in the opted-in body.
        var ingested = await IngestAsync(_host, SimpleMessage("schemes@example.nl", "Schemes", html: $"<img src=\"ftp://127.0.0.1:{_origin.Port}/logo.png\" alt=\"f\"><p>x</p>"));
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, ingested.Link);
        Assert.Empty(await ProxiedUrlsAsync(reader, ingested.Id));
        Assert.Equal(0, _origin.Connections);
    }

    [Fact]
    public async Task RevokedMessage_ItsProxiedUrlsStopWorking()
    {
        _origin.Serve("/logo.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100)));
        var message = await MessageWithImagesAsync("revoked@example.nl", "/logo.png");
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var proxied = Assert.Single(await ProxiedUrlsAsync(reader, message.Id));

        await _host.DbAsync(db => db.Recipients.Where(r => r.MessageId == message.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));

        using var client = _host.CreateHttpClient();
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync(proxied)).StatusCode);
        Assert.Equal(0, _origin.Connections);
    }
}

public sealed class ImageProxySqliteTests : ImageProxyTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class ImageProxyPostgresTests : ImageProxyTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

/// <summary>
/// The proxy's address rules without the test seam: loopback and private targets are refused before any
/// connection is made (the recording listeners see none), however they are written or resolved.
/// </summary>
public sealed class ImageProxyAddressTests : IAsyncLifetime
{
    private ImageOrigin _v4 = null!;
    private ImageOrigin _v6 = null!;

    public Task InitializeAsync()
    {
        _v4 = new ImageOrigin();
        _v6 = new ImageOrigin(IPAddress.IPv6Loopback);
        _v4.Serve("/logo.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100)));
        _v6.Serve("/logo.png", new OriginResponse(200, "image/png", ImageOrigin.Png(100)));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _v4.DisposeAsync();
        await _v6.DisposeAsync();
    }

    private static ImageProxyFetcher Fetcher(bool allowLoopback = false) =>
        new(Options.Create(new ImageProxyOptions { AllowLoopbackTargets = allowLoopback, Timeout = TimeSpan.FromSeconds(5) }));

    private static async Task<ImageFetch> FetchAsync(ImageProxyFetcher fetcher, string url)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await fetcher.FetchAsync(new Uri(url), timeout.Token);
    }

    [Fact]
    public async Task WithoutTheSeam_LoopbackAndPrivateTargets_AreRefusedBeforeAnyConnection()
    {
        using var fetcher = Fetcher();
        var p4 = _v4.Port;
        var p6 = _v6.Port;
        foreach (var url in new[]
        {
            $"http://127.0.0.1:{p4}/logo.png",
            $"http://localhost:{p4}/logo.png",          // a name that resolves to loopback
            $"http://127.1:{p4}/logo.png",
            $"http://2130706433:{p4}/logo.png",          // 127.0.0.1 as one number
            $"http://0x7f000001:{p4}/logo.png",
            $"http://[::1]:{p6}/logo.png",
            $"http://[::ffff:127.0.0.1]:{p4}/logo.png",  // IPv4-mapped
            $"http://0.0.0.0:{p4}/logo.png",
            $"https://127.0.0.1:{p4}/logo.png",
            "http://10.1.2.3/logo.png",
            "http://172.16.0.1/logo.png",
            "http://192.168.1.1/logo.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/logo.png",
            "http://224.0.0.1/logo.png",
            "http://[fd00::1]/logo.png",
            "http://[fe80::1]/logo.png",
            "http://[::ffff:10.0.0.1]/logo.png",
            "http://[64:ff9b::7f00:1]/logo.png",
        })
        {
            var refused = Assert.IsType<ImageFetch.Refused>(await FetchAsync(fetcher, url));
            Assert.True(refused.Reason == ImageFetchRefusal.Address, $"{url}: {refused.Reason}");
        }

        Assert.Equal(0, _v4.Connections);
        Assert.Equal(0, _v6.Connections);
    }

    [Fact]
    public async Task WithTheSeam_LoopbackIsReached_ButOtherPrivateRangesAreNot()
    {
        using var fetcher = Fetcher(allowLoopback: true);
        foreach (var url in new[] { $"http://127.0.0.1:{_v4.Port}/logo.png", $"http://localhost:{_v4.Port}/logo.png", $"http://[::1]:{_v6.Port}/logo.png" })
        {
            using var fetched = Assert.IsType<ImageFetch.Fetched>(await FetchAsync(fetcher, url));
            Assert.Equal("image/png", fetched.MediaType);
        }

        _v4.Serve("/to-private", OriginResponse.Redirect("http://192.168.0.10/logo.png"));
        _v4.Serve("/to-metadata", OriginResponse.Redirect("http://[fe80::a9fe:a9fe]/latest"));
        foreach (var url in new[] { "http://10.1.2.3/logo.png", "http://169.254.169.254/", $"http://127.0.0.1:{_v4.Port}/to-private", $"http://127.0.0.1:{_v4.Port}/to-metadata" })
        {
            var refused = Assert.IsType<ImageFetch.Refused>(await FetchAsync(fetcher, url));
            Assert.True(refused.Reason == ImageFetchRefusal.Address, $"{url}: {refused.Reason}");
        }
    }

    [Fact]
    public async Task OtherSchemes_AreRefusedWithoutAConnection()
    {
        using var fetcher = Fetcher(allowLoopback: true);
        foreach (var url in new[] { $"ftp://127.0.0.1:{_v4.Port}/logo.png", "file:///etc/passwd", $"http://user:pw@127.0.0.1:{_v4.Port}/logo.png" })
        {
            var refused = Assert.IsType<ImageFetch.Refused>(await FetchAsync(fetcher, url));
            Assert.Equal(ImageFetchRefusal.Scheme, refused.Reason);
        }

        Assert.Equal(0, _v4.Connections);
    }

    [Fact]
    public async Task PortalWithoutTheSeam_RefusesALoopbackImage_WithoutConnecting()
    {
        await using var host = await new PortalHost(StorageKind.Sqlite, Settings).StartAsync();
        var ingested = await IngestAsync(host, SimpleMessage("no-seam@example.nl", "Loopback image", html: $"<img src=\"http://localhost:{_v4.Port}/logo.png\" alt=\"l\"><img src=\"http://127.0.0.1:{_v4.Port}/logo.png\" alt=\"n\">"));
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(host, ingested.Link);
        var (_, frame, _) = await GetAsync(reader.Http, $"/messages/{ingested.Id}/body?images=1");
        var proxied = new BodyFramePage(new HtmlPage(frame)).ResourceUrls.Where(u => u.Contains("/remote-image?", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, proxied.Count);

        using var client = host.CreateHttpClient();
        foreach (var url in proxied)
        {
            Assert.Equal(HttpStatusCode.BadGateway, (await client.GetAsync(url)).StatusCode);
        }

        Assert.Equal(0, _v4.Connections);
    }

    [Fact]
    public async Task TheProxy_IsRateLimitedPerClient()
    {
        var settings = Settings;
        settings["OmePortal:Reading:ImageProxy:RequestsPerMinutePerClient"] = "3";
        await using var host = await new PortalHost(StorageKind.Sqlite, settings).StartAsync();
        using var client = host.CreateHttpClient();
        var url = ImageProxyUrls.PathOf(Guid.NewGuid()) + "?u=" + Uri.EscapeDataString($"http://127.0.0.1:{_v4.Port}/logo.png") + "&s=x";

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(url)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync(url)).StatusCode);
        Assert.Equal(0, _v4.Connections);
    }

    [Theory]
    [InlineData("93.184.215.14", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("2001:4860:4860::8888", true)]
    [InlineData("::ffff:93.184.215.14", true)]
    [InlineData("64:ff9b::5db8:d70e", true)]
    [InlineData("2002:5db8:d70e::1", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.255.255.254", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.0.0.8", false)]
    [InlineData("192.0.2.1", false)]
    [InlineData("192.168.0.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("224.0.0.251", false)]
    [InlineData("239.255.255.250", false)]
    [InlineData("240.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::", false)]
    [InlineData("::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.1.1.1", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("2002:a00:1::1", false)]
    [InlineData("2002:7f00:1::1", false)]
    [InlineData("2001::1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("3fff::1", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fd12:3456::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("febf::1", false)]
    [InlineData("fec0::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("100::1", false)]
    public void IsAllowed_PublicUnicastOnly(string address, bool allowed)
    {
        Assert.Equal(allowed, ImageProxyAddresses.IsAllowed(IPAddress.Parse(address)));
        Assert.Equal(allowed, ImageProxyAddresses.IsAllowed(IPAddress.Parse(address), allowLoopback: false));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.53", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("fd00::1", false)]
    [InlineData("0.0.0.0", false)]
    public void IsAllowed_WithTheSeam_AddsLoopbackOnly(string address, bool allowed) =>
        Assert.Equal(allowed, ImageProxyAddresses.IsAllowed(IPAddress.Parse(address), allowLoopback: true));

    [Theory]
    [InlineData("Production", true, false)]
    [InlineData("Staging", true, false)]
    [InlineData("Development", true, true)]
    [InlineData("Production", false, true)]
    public void Options_TheLoopbackSeam_IsRefusedOutsideDevelopment(string environment, bool allowLoopback, bool valid)
    {
        var validator = new ImageProxyOptionsValidator(new HostingEnvironment { EnvironmentName = environment });
        var result = validator.Validate(null, new ImageProxyOptions { AllowLoopbackTargets = allowLoopback });
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("AllowLoopbackTargets", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Options_TheLoopbackSeam_StopsAProductionStart()
    {
        var settings = Settings;
        settings["OmePortal:Reading:ImageProxy:AllowLoopbackTargets"] = "true";
        settings["environment"] = Environments.Production;
        settings["OmePortal:Vault:AllowKeyInDataDirectory"] = "true";
        settings["OmePortal:Notifications:AllowPickupInProduction"] = "true";
        await using var host = new PortalHost(StorageKind.Sqlite, settings);
        var failure = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("AllowLoopbackTargets", failure.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("image/png", new byte[] { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0 }, true)]
    [InlineData("image/png", new byte[] { 0x3c, 0x68, 0x74, 0x6d, 0x6c }, false)]
    [InlineData("image/jpeg", new byte[] { 0xff, 0xd8, 0xff, 0xe0 }, true)]
    [InlineData("image/gif", new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, true)]
    [InlineData("image/webp", new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 0, 0, 0, 0x57, 0x45, 0x42, 0x50 }, true)]
    [InlineData("image/avif", new byte[] { 0, 0, 0, 0x1c, 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69, 0x66 }, true)]
    [InlineData("image/avif", new byte[] { 0, 0, 0, 0x1c, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d }, false)]
    [InlineData("image/svg+xml", new byte[] { 0x3c, 0x73, 0x76, 0x67 }, false)]
    public void LooksLike_TheFirstBytesMustMatchTheType(string type, byte[] head, bool expected) =>
        Assert.Equal(expected, ImageProxyFetcher.LooksLike(type, head));
}

/// <summary>What <see cref="ImageOrigin"/> answers for one path.</summary>
/// <param name="DeclareLength">False: no Content-Length, the body ends when the connection closes.</param>
/// <param name="StallAfter">Send this many bytes of the body (after the headers), then nothing more until the server stops.</param>
/// <param name="StallBeforeHeaders">Answer nothing at all until the server stops.</param>
internal sealed record OriginResponse(int Status, string? ContentType, byte[] Body, bool DeclareLength = true, string? Location = null, int? StallAfter = null, bool StallBeforeHeaders = false)
{
    public static OriginResponse Redirect(string location) => new(302, null, [], Location: location);
}

/// <summary>
/// A minimal HTTP/1.1 server on a loopback address for the proxy tests: it counts every TCP connection
/// (so a test can prove none was made), keeps each request's head as received, and answers from a table.
/// </summary>
internal sealed class ImageOrigin : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, OriginResponse> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly Task _accepting;
    private int _connections;

    public ImageOrigin(IPAddress? address = null)
    {
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The head (request line and headers) of every request, in arrival order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public void Serve(string path, OriginResponse response) => _routes[path] = response;

    /// <summary>A PNG signature followed by filler: <paramref name="length"/> bytes in all.</summary>
    public static byte[] Png(int length)
    {
        var bytes = new byte[length];
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
        signature.CopyTo(bytes);
        for (var i = signature.Length; i < length; i++)
        {
            bytes[i] = (byte)(i * 31);
        }

        return bytes;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null)
                {
                    return;
                }

                _requests.Enqueue(head);
                var path = head.Split(' ', 3)[1];
                var response = _routes.TryGetValue(path, out var found) ? found : new OriginResponse(404, "text/plain", "no"u8.ToArray());
                if (response.StallBeforeHeaders)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                var headers = new StringBuilder($"HTTP/1.1 {response.Status} Answer\r\n");
                if (response.ContentType is not null)
                {
                    headers.Append("Content-Type: ").Append(response.ContentType).Append("\r\n");
                }

                if (response.Location is not null)
                {
                    headers.Append("Location: ").Append(response.Location).Append("\r\n");
                }

                if (response.DeclareLength)
                {
                    headers.Append("Content-Length: ").Append(response.Body.Length).Append("\r\n");
                }

                headers.Append("Connection: close\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(headers.ToString()));
                if (response.StallAfter is { } part)
                {
                    await stream.WriteAsync(response.Body.AsMemory(0, part));
                    await stream.FlushAsync();
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                await stream.WriteAsync(response.Body);
                await stream.FlushAsync();
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The proxy broke off (e.g. past its size limit): nothing to answer any more.
            }
        }
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length));
            if (read == 0)
            {
                return null;
            }

            length += read;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                return text[..(end + 2)];
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
