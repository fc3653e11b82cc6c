using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Tests.Admin.Branding;
using StackExchange.Redis;

namespace OmePortal.Web.Tests.Redis;

/// <summary>
/// Two nodes of one portal (one PostgreSQL database, one master key) configured with one real Redis: a client's
/// sign-in requests are counted once across both nodes, and a brand preview made on one node is shown by the other.
/// </summary>
public sealed class SharedStateTests(SharedStateTests.Nodes nodes) : IClassFixture<SharedStateTests.Nodes>
{
    /// <summary>The recipient sign-in limit by default (<c>OmePortal:Passcodes:RequestsPerMinutePerClient</c>).</summary>
    private const int SignInPermitsPerMinute = 30;

    /// <summary>Both nodes, started once for the class. The rate-limit keys in Redis are keyed from this portal's own master key, so other classes sharing the Redis never count against it.</summary>
    public sealed class Nodes : IAsyncLifetime
    {
        public PortalHost A { get; private set; } = null!;

        public PortalHost B { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            if (TestEnvironment.RedisSkipReason is not null)
            {
                return;
            }

            var settings = new Dictionary<string, string?> { ["OmePortal:Redis:Configuration"] = TestEnvironment.RedisConfiguration };
            A = await new PortalHost(StorageKind.Postgres, settings).StartAsync();
            B = await A.AnotherNode().StartAsync();
        }

        public async Task DisposeAsync()
        {
            if (B is not null)
            {
                await B.DisposeAsync();
            }

            if (A is not null)
            {
                await A.DisposeAsync();
            }
        }
    }

    [RedisFact]
    public async Task SignInLimit_CountsRequestsToBothNodes_TheThirtyFirstIsRefusedOnEither()
    {
        using var onA = nodes.A.CreateHttpClient();
        using var onB = nodes.B.CreateHttpClient();
        foreach (var client in new[] { onA, onB })
        {
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        }

        // Alternately: each node alone sees 15, which a per-node count would never refuse.
        for (var i = 0; i < SignInPermitsPerMinute; i++)
        {
            using var page = await (i % 2 == 0 ? onA : onB).GetAsync("/signin");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        foreach (var client in new[] { onA, onB })
        {
            using var refused = await client.GetAsync("/signin");
            await RateLimitAnswer.AssertRefusedAsync(refused);
        }

        // The counter is in Redis under a keyed hash of the client, never its address.
        var redis = nodes.A.Services.GetRequiredService<IConnectionMultiplexer>();
        var keys = redis.GetServers().Single().Keys(pattern: "rl:*omeportal:recipient-sign-in:*").Select(k => k.ToString()).ToList();
        Assert.NotEmpty(keys);
        Assert.DoesNotContain(keys, k => k.Contains("127.0.0.1", StringComparison.Ordinal) || k.Contains("::1", StringComparison.Ordinal));
    }

    [RedisFact]
    public async Task PreviewDraft_MadeOnOneNode_IsShownByTheOther_ButNotToAnotherTenant()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(nodes.A);
        var form = new MultipartFormDataContent
        {
            { new StringContent("Shared preview"), "Input.Name" },
            { new StringContent("en"), "Input.DefaultLanguage" },
            { new StringContent("#0B5A2B"), "Input.BackgroundColor" },
            { new StringContent("true"), "Input.OtpEnabled" },
            { new StringContent("en"), "Input.Texts[0].Language" },
            { new StringContent("Drafted on node A"), "Input.Texts[0].PortalText" },
            { new StringContent("Open on node B"), "Input.Texts[0].ReadButtonText" },
        };
        var logo = new ByteArrayContent(LogoImages.Png());
        logo.Headers.ContentType = MediaTypeHeaderValue.Parse("image/png");
        form.Add(logo, "Logo", "logo.png");
        using var previewed = await admin.PostMultipartAsync("/admin/branding/new?handler=Preview", form, tokenPage: "/admin/branding");
        Assert.Equal(HttpStatusCode.OK, previewed.StatusCode);
        var page = new BrandingEditPage(await HtmlPage.FromAsync(previewed));
        var mailFrame = WebUtility.HtmlDecode(Assert.Single(page.Previews, p => p.Kind == "mail" && p.Language == "en").Source);
        var linkFrame = WebUtility.HtmlDecode(Assert.Single(page.Previews, p => p.Kind == "link" && p.Language == "en").Source);

        // The same signed-in admin, its next request sent to node B (as a load balancer may).
        using var sameAdminOnB = AdminClient.Anonymous(nodes.B);
        foreach (var (name, value) in admin.Cookies)
        {
            sameAdminOnB.Cookies[name] = value;
        }

        using var mail = await sameAdminOnB.Http.GetAsync(mailFrame);
        Assert.Equal(HttpStatusCode.OK, mail.StatusCode);
        var mailHtml = await mail.Content.ReadAsStringAsync();
        Assert.Contains("Open on node B", mailHtml, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,", mailHtml, StringComparison.Ordinal);
        using var link = await sameAdminOnB.Http.GetAsync(linkFrame);
        Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        Assert.Contains("Drafted on node A", WebUtility.HtmlDecode(await link.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        // Another tenant's admin on node B asks for the same draft: nothing.
        var otherSlug = "other-" + Guid.NewGuid().ToString("N")[..8];
        await AdminClient.CreateTenantAsync(nodes.A, otherSlug);
        using var stranger = await AdminClient.SignInTenantAdminAsync(nodes.B, otherSlug);
        using var refused = await stranger.Http.GetAsync(mailFrame);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }
}
