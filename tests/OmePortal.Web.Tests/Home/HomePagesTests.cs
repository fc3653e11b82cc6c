using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using OmePortal.Testing;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Home;

/// <summary>
/// The landing page at <c>/</c>, and the pages a browser gets for an error answer without a body: a rate-limited
/// visitor reads how long to wait in their language (with <c>Retry-After</c>), never JSON or "Status Code: 429";
/// programs keep the bare status.
/// </summary>
public sealed class HomePagesTests : IAsyncLifetime
{
    private const int SignInPermits = 2;
    private PortalHost _host = null!;

    public async Task InitializeAsync() => _host = await new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?>
    {
        ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = SignInPermits.ToString(CultureInfo.InvariantCulture),
    }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("en", "Protected email", "Sign in to see your messages")]
    [InlineData("nl", "Beveiligde e-mail", "Aanmelden om uw berichten te zien")]
    public async Task Root_IsALandingPage_InTheReadersLanguage(string language, string heading, string signIn)
    {
        using var http = Browser(language);
        using var response = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await HtmlPage.FromAsync(response);

        Assert.Equal(language, page.Language);
        Assert.Equal(heading, page.Heading);
        Assert.Equal(signIn, page.Text("a[href='/signin']"));
        Assert.Equal(3, page.FindAll("ol.steps li").Count);
        Assert.NotNull(page.Find("a[href='/admin']"));

        var icon = page.Attribute("link[rel='icon']", "href");
        Assert.Equal("/favicon.svg", icon);
        using var favicon = await http.GetAsync(icon);
        Assert.Equal(HttpStatusCode.OK, favicon.StatusCode);
        Assert.Equal("image/svg+xml", favicon.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<svg", await favicon.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("en", "Too many attempts", "Wait {0} seconds")]
    [InlineData("nl", "Te veel pogingen", "Wacht {0} seconden")]
    public async Task RateLimitedNavigation_IsAPageInTheReadersLanguage_WithRetryAfter(string language, string heading, string wait)
    {
        using var http = Browser(language);
        for (var i = 0; i < SignInPermits; i++)
        {
            using var allowed = await http.GetAsync("/signin");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var limited = await http.GetAsync("/signin");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var retryAfter = limited.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("No Retry-After in seconds.");
        Assert.InRange(retryAfter.TotalSeconds, 1, 60);
        Assert.Equal("text/html", limited.Content.Headers.ContentType?.MediaType);
        var page = await HtmlPage.FromAsync(limited);
        Assert.Equal(language, page.Language);
        Assert.Equal(heading, page.Heading);
        Assert.Contains(string.Format(CultureInfo.InvariantCulture, wait, (int)retryAfter.TotalSeconds), page.Text("main"), StringComparison.Ordinal);

        // A form post of the same visitor is refused the same way (the page is not a second attempt).
        using var posted = await http.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Address"] = "someone@example.net" }));
        Assert.Equal(HttpStatusCode.TooManyRequests, posted.StatusCode);
        Assert.Equal(heading, (await HtmlPage.FromAsync(posted)).Heading);
    }

    [Fact]
    public async Task RateLimitedProgram_KeepsTheBareStatus_AndRetryAfter()
    {
        using var http = _host.CreateHttpClient();
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage? last = null;
        for (var i = 0; i <= SignInPermits; i++)
        {
            last?.Dispose();
            last = await http.GetAsync("/signin");
        }

        using var limited = last!;
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        Assert.NotEqual("text/html", limited.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("<html", await limited.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("en", "Page not found")]
    [InlineData("nl", "Pagina niet gevonden")]
    public async Task UnknownPage_ForABrowser_IsANotFoundPage_ThatKeeps404(string language, string heading)
    {
        using var http = Browser(language);
        using var response = await http.GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var page = await HtmlPage.FromAsync(response);
        Assert.Equal(heading, page.Heading);
        Assert.NotNull(page.Find("a[href='/']"));
    }

    [Fact]
    public async Task ApiAndDirectErrorPage_GetNoErrorPage()
    {
        using var http = Browser("en");
        using var api = await http.GetAsync($"/api/v1/messages/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.DoesNotContain("<html", await api.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // The error page exists only as the answer to another request; asked for itself, it is not there.
        using var direct = await http.GetAsync("/error/429");
        Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
        Assert.Equal("Page not found", (await HtmlPage.FromAsync(direct)).Heading);
    }

    /// <summary>A client that asks for pages as a browser does, in <paramref name="language"/>.</summary>
    private HttpClient Browser(string language)
    {
        var http = _host.CreateHttpClient();
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return http;
    }
}
