using System.Net;
using System.Text.RegularExpressions;
using MimeKit;

namespace OmePortal.Testing;

/// <summary>
/// A recipient without a browser: follows the real passcode flow over HTTP (link page, POST for a
/// passcode, the passcode mail from the outbox, the code page) and then keeps the session cookie.
/// Cookies are kept by hand because the portal's cookies are Secure and the tests run on http://localhost.
/// </summary>
public sealed partial class RecipientBrowserlessClient : IDisposable
{
    private readonly string _outboxDirectory;

    private RecipientBrowserlessClient(PortalHost host)
        : this(host.BaseUrl, host.OutboxDirectory)
    {
    }

    /// <summary>For a portal running elsewhere (e.g. a separate process in a benchmark).</summary>
    public RecipientBrowserlessClient(string baseUrl, string outboxDirectory)
    {
        _outboxDirectory = outboxDirectory;
        Cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        Http = new HttpClient(new CookieJarHandler(Cookies)) { BaseAddress = new Uri(baseUrl) };
    }

    /// <summary>An HttpClient that sends this recipient's cookies (no redirects followed).</summary>
    public HttpClient Http { get; }

    public Dictionary<string, string> Cookies { get; }

    /// <summary>Where the last sign-in redirected to (e.g. /messages/{id}).</summary>
    public string? LandedOn { get; private set; }

    public static RecipientBrowserlessClient Anonymous(PortalHost host) => new(host);

    /// <summary>Opens the link, asks for a passcode, reads it from the outbox and signs in.</summary>
    public static Task<RecipientBrowserlessClient> SignInFromLinkAsync(PortalHost host, string link) =>
        new RecipientBrowserlessClient(host).SignInFromLinkAsync(link);

    /// <summary>Opens the link, asks for a passcode, reads it from the outbox and signs this client in.</summary>
    public async Task<RecipientBrowserlessClient> SignInFromLinkAsync(string link)
    {
        var client = this;
        var path = new Uri(link).PathAndQuery;
        using var requested = await client.PostFormAsync(path, new Dictionary<string, string>(), handler: "Passcode");
        if (requested.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Asking for a passcode answered {(int)requested.StatusCode}.");
        }

        await client.EnterPasscodeAsync(requested.Headers.Location!.OriginalString);
        return client;
    }

    /// <summary>Signs in through /signin with an address (the inbox path).</summary>
    public static async Task<RecipientBrowserlessClient> SignInWithAddressAsync(PortalHost host, string address)
    {
        var client = new RecipientBrowserlessClient(host);
        using var requested = await client.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = address });
        if (requested.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Asking for a passcode answered {(int)requested.StatusCode}.");
        }

        await client.EnterPasscodeAsync(requested.Headers.Location!.OriginalString);
        return client;
    }

    /// <summary>
    /// GETs <paramref name="tokenPage"/> (default: <paramref name="path"/>), takes its antiforgery token, and
    /// POSTs the form fields with it to <paramref name="path"/>.
    /// </summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, IDictionary<string, string> fields, string? handler = null, string? tokenPage = null)
    {
        var token = await AntiforgeryTokenAsync(tokenPage ?? path);
        var form = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token };
        var target = handler is null ? path : path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "handler=" + handler;
        return await Http.PostAsync(target, new FormUrlEncodedContent(form));
    }

    /// <summary>The antiforgery token of the first form on a page.</summary>
    public async Task<string> AntiforgeryTokenAsync(string path)
    {
        using var page = await Http.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        var match = AntiforgeryInput().Match(html);
        if (!match.Success)
        {
            throw new InvalidOperationException($"No antiforgery token on {path} ({(int)page.StatusCode}).");
        }

        return WebUtility.HtmlDecode(match.Groups["value"].Value);
    }

    private async Task EnterPasscodeAsync(string codePage)
    {
        var html = await Http.GetStringAsync(codePage);
        var reference = ReferenceCode().Match(html);
        if (!reference.Success)
        {
            throw new InvalidOperationException("The code page shows no reference code.");
        }

        var code = await WaitForPasscodeAsync(reference.Groups["ref"].Value);
        using var signedIn = await PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = code });
        if (signedIn.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Entering the passcode answered {(int)signedIn.StatusCode}.");
        }

        LandedOn = signedIn.Headers.Location?.OriginalString;
    }

    /// <summary>Reads the passcode of the mail that carries <paramref name="reference"/> from the outbox.</summary>
    public async Task<string> WaitForPasscodeAsync(string reference, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (Directory.Exists(_outboxDirectory))
            {
                foreach (var file in Directory.GetFiles(_outboxDirectory, "*.eml"))
                {
                    using var mail = await MimeMessage.LoadAsync(file);
                    if (mail.Headers["X-OmePortal-Mail-Kind"] == "passcode" && mail.TextBody?.Contains(reference, StringComparison.Ordinal) == true)
                    {
                        return EightDigits().Match(mail.TextBody).Value;
                    }
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No passcode mail with reference {reference} arrived.");
            }

            await Task.Delay(50);
        }
    }

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"(?<value>[^\"]+)\"")]
    private static partial Regex AntiforgeryInput();

    [GeneratedRegex("class=\"reference\"[^>]*>[^<]*?(?<ref>[A-Z2-9]{6})\\s*<")]
    private static partial Regex ReferenceCode();

    [GeneratedRegex("(?<!\\d)\\d{8}(?!\\d)")]
    private static partial Regex EightDigits();

    /// <summary>Keeps cookies by name, whatever their Secure flag, and sends them on every request.</summary>
    private sealed class CookieJarHandler(Dictionary<string, string> jar) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (jar)
            {
                if (jar.Count > 0)
                {
                    request.Headers.Remove("Cookie");
                    request.Headers.Add("Cookie", string.Join("; ", jar.Select(c => $"{c.Key}={c.Value}")));
                }
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                lock (jar)
                {
                    foreach (var header in setCookies)
                    {
                        var pair = header.Split(';', 2)[0];
                        var equals = pair.IndexOf('=', StringComparison.Ordinal);
                        var name = pair[..equals].Trim();
                        var value = pair[(equals + 1)..].Trim();
                        var expired = header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase) || value.Length == 0;
                        if (expired)
                        {
                            jar.Remove(name);
                        }
                        else
                        {
                            jar[name] = value;
                        }
                    }
                }
            }

            return response;
        }
    }
}
