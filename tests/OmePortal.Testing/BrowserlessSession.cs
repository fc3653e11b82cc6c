using OmePortal.Testing.Pages;

namespace OmePortal.Testing;

/// <summary>
/// A person's session without a browser: one cookie jar, the antiforgery token of a form, and form
/// posts, over real HTTP. <see cref="AdminClient"/> and <see cref="RecipientBrowserlessClient"/> are
/// this plus how each kind of user signs in.
/// <para>
/// Cookies are kept by hand because the portal's cookies are Secure and the tests run on
/// http://localhost, where HttpClient's own container would drop them. Redirects are not followed,
/// so a test sees each 302 and its Location.
/// </para>
/// </summary>
public abstract class BrowserlessSession : IDisposable
{
    protected BrowserlessSession(string baseUrl)
    {
        Cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        Http = new HttpClient(new CookieJarHandler(Cookies)) { BaseAddress = new Uri(baseUrl) };
    }

    /// <summary>An HttpClient that sends this session's cookies (redirects not followed).</summary>
    public HttpClient Http { get; }

    /// <summary>The cookies by name, as the portal set them last.</summary>
    public Dictionary<string, string> Cookies { get; }

    /// <summary>GETs <paramref name="path"/> and parses the answer (any status).</summary>
    public Task<HtmlPage> GetPageAsync(string path) => HtmlPage.GetAsync(Http, path);

    /// <summary>
    /// GETs <paramref name="tokenPage"/> (default: <paramref name="path"/>), takes its antiforgery token, and
    /// POSTs the form fields with it to <paramref name="path"/> (with <c>?handler=</c> when given).
    /// </summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, IDictionary<string, string> fields, string? handler = null, string? tokenPage = null)
    {
        var token = await AntiforgeryTokenAsync(tokenPage ?? path);
        return await PostFormWithTokenAsync(path, fields, token, handler);
    }

    /// <summary>POSTs with a token taken earlier (e.g. from a page other than the form's target).</summary>
    public async Task<HttpResponseMessage> PostFormWithTokenAsync(string path, IDictionary<string, string> fields, string token, string? handler = null)
    {
        var form = new Dictionary<string, string>(fields) { [HtmlPage.AntiforgeryField] = token };
        return await Http.PostAsync(WithHandler(path, handler), new FormUrlEncodedContent(form));
    }

    /// <summary>POSTs repeated fields (check boxes, lists) in the order given, with the token of <paramref name="tokenPage"/> (default: the target).</summary>
    public async Task<HttpResponseMessage> PostFormPairsAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, string? handler = null, string? tokenPage = null)
    {
        var token = await AntiforgeryTokenAsync(tokenPage ?? path);
        var form = fields.Append(new KeyValuePair<string, string>(HtmlPage.AntiforgeryField, token)).ToList();
        return await Http.PostAsync(WithHandler(path, handler), new FormUrlEncodedContent(form));
    }

    /// <summary>POSTs a multipart form (file uploads) with the antiforgery token of <paramref name="tokenPage"/> (default: the target).</summary>
    public async Task<HttpResponseMessage> PostMultipartAsync(string path, MultipartFormDataContent content, string? tokenPage = null)
    {
        content.Add(new StringContent(await AntiforgeryTokenAsync(tokenPage ?? path)), HtmlPage.AntiforgeryField);
        return await Http.PostAsync(path, content);
    }

    /// <summary>The antiforgery token of the first form on a page; throws when the page has none.</summary>
    public async Task<string> AntiforgeryTokenAsync(string path)
    {
        var page = await GetPageAsync(path);
        return page.AntiforgeryToken
            ?? throw new InvalidOperationException($"No antiforgery token on {path} ({(int)page.Status} {page.Location}).");
    }

    public void Dispose()
    {
        Http.Dispose();
        GC.SuppressFinalize(this);
    }

    private static string WithHandler(string path, string? handler) =>
        handler is null ? path : path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "handler=" + handler;

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
                        if (value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
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

