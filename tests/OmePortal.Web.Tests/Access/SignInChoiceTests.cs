using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Access.External;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// The brand's sign-in switches are part of the access decision: a recipient signed in with a method the
/// message's brand turned off is asked to sign in another way on every path (message page, body frame,
/// inline images with and without a frame ticket, attachment, reply compose and post, the sender's revoke
/// page, the inbox), one signed in with an allowed method reads, and a stranger learns nothing. Sessions
/// come from the real flows: passcode, passkey (software authenticator) and OpenID Connect (local provider).
/// </summary>
public abstract partial class SignInChoiceTests : IAsyncLifetime
{
    private const string Alice = "alice@example.nl";
    private const string Carol = "carol@example.nl";
    private const string Mallory = "mallory@example.nl";
    private const string ClientId = "omeportal-test";
    private const string ClientSecret = "local-test-secret";
    private const string PolicySample = "01-dutch-policy-inline-logo-pdf.eml";
    private const string PolicyPdf = "Polisblad 2026 – De Vries.pdf";
    private const string ChallengeCookie = "__Host-omeportal-passkey";

    private LocalOidcProvider _idp = null!;
    private PortalHost? _host;

    protected abstract StorageKind Storage { get; }

    private PortalHost Host => _host ?? throw new InvalidOperationException("Start the portal first.");

    public async Task InitializeAsync() => _idp = await LocalOidcProvider.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await _idp.DisposeAsync();
    }

    /// <summary>The paths of one message a reader can take, found while every method was still allowed.</summary>
    private sealed record MessagePaths(Guid Id, Guid SentByAlice, string Attachment, string Inline, string TicketedInline);

    private enum Expect
    {
        Granted,
        OtherSignIn,
        NotFound,
    }

    [Fact]
    public async Task PasscodeTurnedOff_PasscodeAndPasskeySessions_AreAskedToSignInAnotherWay_OnEveryPath_ExternalReads()
    {
        await StartPortalAsync();
        var (paths, passcode) = await PrepareAsync();
        using var _ = passcode;
        using var passkey = await PasskeySessionAsync(passcode);
        using var microsoft = await ExternalSessionAsync(Alice);
        using var stranger = await ExternalSessionAsync(Mallory);
        await SetBrandAsync(otp: false, external: true);

        foreach (var refused in new[] { passcode, passkey })
        {
            var page = await AssertEveryPathAsync(refused, paths, Expect.OtherSignIn);
            Assert.Contains("data-method=\"External\"", page, StringComparison.Ordinal);
            Assert.DoesNotContain("data-method=\"Passcode\"", page, StringComparison.Ordinal);
            Assert.Contains("href=\"/signin?returnUrl=" + Uri.EscapeDataString($"/messages/{paths.Id}") + "\"", page, StringComparison.Ordinal);
            await AssertReplyPostAsync(refused, paths.Id, HttpStatusCode.Forbidden);
            await AssertInboxAsync(refused, paths.Id, "NeedsOtherSignIn");
        }

        // A frame ticket stands for its session: issued while passcodes were allowed, it opens nothing now, even without the cookie.
        using (var cookieless = Host.CreateHttpClient())
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await cookieless.GetAsync(paths.TicketedInline)).StatusCode);
        }

        using (var revoke = await passcode.PostFormAsync($"/messages/{paths.SentByAlice}/revoke", new Dictionary<string, string>(), tokenPage: "/signin"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
        }

        Assert.NotNull(await DbAsync(db => db.Messages.Where(m => m.Id == paths.SentByAlice).Select(m => m.WrappedKey).SingleAsync()));

        await AssertEveryPathAsync(microsoft, paths, Expect.Granted);
        await AssertInboxAsync(microsoft, paths.Id, "Readable");
        await AssertEveryPathAsync(stranger, paths, Expect.NotFound);
        await AssertReplyPostAsync(stranger, paths.Id, HttpStatusCode.NotFound);
        await AssertReplyPostAsync(microsoft, paths.Id, HttpStatusCode.SeeOther);
    }

    [Fact]
    public async Task ExternalTurnedOff_MicrosoftAndOtherProviderSessions_AreAskedToSignInAnotherWay_OnEveryPath_PasscodeAndPasskeyRead()
    {
        await StartPortalAsync(acme: true);
        var (paths, passcode) = await PrepareAsync();
        using var _ = passcode;
        using var passkey = await PasskeySessionAsync(passcode);
        using var microsoft = await ExternalSessionAsync(Alice);
        using var acme = await ExternalSessionAsync(Alice, "acme");
        using var stranger = await PasscodeSessionAsync(Mallory);
        await SetBrandAsync(otp: true, external: false);

        foreach (var refused in new[] { microsoft, acme })
        {
            var page = await AssertEveryPathAsync(refused, paths, Expect.OtherSignIn);
            Assert.Contains("data-method=\"Passcode\"", page, StringComparison.Ordinal);
            Assert.Contains("data-method=\"Passkey\"", page, StringComparison.Ordinal);
            Assert.DoesNotContain("data-method=\"External\"", page, StringComparison.Ordinal);
            await AssertReplyPostAsync(refused, paths.Id, HttpStatusCode.Forbidden);
            await AssertInboxAsync(refused, paths.Id, "NeedsOtherSignIn");
        }

        await AssertEveryPathAsync(passcode, paths, Expect.Granted);
        await AssertEveryPathAsync(passkey, paths, Expect.Granted);
        await AssertEveryPathAsync(stranger, paths, Expect.NotFound);
        await AssertReplyPostAsync(passkey, paths.Id, HttpStatusCode.SeeOther);
    }

    [Fact]
    public async Task BothTurnedOff_EverySession_IsToldNoWayIsLeft_InDutchToo()
    {
        await StartPortalAsync();
        var (paths, passcode) = await PrepareAsync();
        using var _ = passcode;
        await SetBrandAsync(otp: false, external: false);

        var page = await AssertEveryPathAsync(passcode, paths, Expect.OtherSignIn);
        Assert.Contains("has turned off every way to sign in", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-method=", page, StringComparison.Ordinal);

        passcode.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("nl");
        using var response = await passcode.Http.GetAsync($"/messages/{paths.Id}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Meld u op een andere manier aan", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProviderRestrictedToOtherTenants_IsAskedToSignInAnotherWay_TheUnrestrictedOneReads()
    {
        await StartPortalAsync(acme: true, acmeTenants: [Guid.NewGuid().ToString()]);
        var (paths, passcode) = await PrepareAsync();
        using var _ = passcode;
        using var acme = await ExternalSessionAsync(Alice, "acme");
        using var microsoft = await ExternalSessionAsync(Alice);

        await AssertEveryPathAsync(acme, paths, Expect.OtherSignIn);
        await AssertEveryPathAsync(microsoft, paths, Expect.Granted);
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task ProviderTenants_ThatAreNotTenantIds_StopTheStart(string tenant)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartPortalAsync(acme: true, acmeTenants: [tenant]));
        Assert.Contains("Tenants", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Checks every path of <paramref name="paths"/> for <paramref name="client"/>; returns the message page.</summary>
    private static async Task<string> AssertEveryPathAsync(RecipientBrowserlessClient client, MessagePaths paths, Expect expect)
    {
        var status = expect switch
        {
            Expect.Granted => HttpStatusCode.OK,
            Expect.OtherSignIn => HttpStatusCode.Forbidden,
            _ => HttpStatusCode.NotFound,
        };
        var page = string.Empty;
        foreach (var path in new[]
        {
            $"/messages/{paths.Id}",
            $"/messages/{paths.Id}/body",
            paths.Inline,
            paths.Attachment,
            $"/messages/{paths.Id}/reply?mode=reply",
            $"/messages/{paths.Id}/reply?mode=forward",
        })
        {
            using var response = await client.Http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{path} answered {(int)response.StatusCode}, expected {(int)status}");
            if (expect != Expect.Granted)
            {
                Assert.DoesNotContain("De Vries", WebUtility.HtmlDecode(body), StringComparison.Ordinal);
                Assert.DoesNotContain("polis", body, StringComparison.OrdinalIgnoreCase);
                Assert.Null(response.Content.Headers.ContentDisposition);
            }

            if (path == $"/messages/{paths.Id}")
            {
                page = body;
                if (expect == Expect.OtherSignIn)
                {
                    Assert.Contains("data-unavailable=\"NeedsOtherSignIn\"", body, StringComparison.Ordinal);
                }
            }
        }

        // The sender's revoke page of Alice's own message: the same switches bind the sender; a stranger is no sender.
        using var revoke = await client.Http.GetAsync($"/messages/{paths.SentByAlice}/revoke");
        var revokePage = await revoke.Content.ReadAsStringAsync();
        Assert.Equal(status, revoke.StatusCode);
        Assert.Equal(expect == Expect.Granted, revokePage.Contains("data-revocation=\"confirm\"", StringComparison.Ordinal));
        if (expect == Expect.OtherSignIn)
        {
            Assert.Contains("data-unavailable=\"NeedsOtherSignIn\"", revokePage, StringComparison.Ordinal);
        }

        return page;
    }

    private async Task AssertReplyPostAsync(RecipientBrowserlessClient client, Guid id, HttpStatusCode expected)
    {
        var before = await DbAsync(db => db.Messages.CountAsync());
        var token = await client.AntiforgeryTokenAsync("/signin");
        var content = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent("Thank you, received."), "Body" },
        };
        using var response = await client.Http.PostAsync($"/messages/{id}/reply?mode=reply", content);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.SeeOther ? before + 1 : before, await DbAsync(db => db.Messages.CountAsync()));
    }

    /// <summary>The inbox lists the message in <paramref name="state"/>; closed, it shows nothing of the content.</summary>
    private static async Task AssertInboxAsync(RecipientBrowserlessClient client, Guid id, string state)
    {
        var inbox = await client.Http.GetStringAsync("/inbox");
        Assert.Contains($"data-message=\"{id}\"", inbox, StringComparison.Ordinal);
        var item = InboxItem().Matches(inbox).Single(m => m.Groups["id"].Value == id.ToString());
        Assert.Equal(state, item.Groups["state"].Value);
        Assert.Equal(state == "Readable", WebUtility.HtmlDecode(item.Value).Contains("Uw polis", StringComparison.Ordinal));
    }

    /// <summary>
    /// The policy mail to Alice (inline logo, PDF), a mail Alice sent to Carol and one to Mallory (so that Mallory
    /// can sign in); the URLs as Alice's passcode session finds them while every method is allowed, and that session.
    /// </summary>
    private async Task<(MessagePaths Paths, RecipientBrowserlessClient Alice)> PrepareAsync()
    {
        using var policy = MimeMessage.Load(TestEnvironment.SamplePath(PolicySample));
        policy.To.Clear();
        policy.To.Add(MailboxAddress.Parse(Alice));
        var id = await IngestAsync(policy);
        var sent = TestMessages.WithMarkers("sent", "sent-html", "sent-text", "sent-file", Carol);
        sent.From.Clear();
        sent.From.Add(MailboxAddress.Parse(Alice));
        var sentByAlice = await IngestAsync(sent);
        await IngestAsync(TestMessages.WithMarkers("m", "m", "m", "m", Mallory));

        var alice = await PasscodeSessionAsync(Alice);

        var page = await alice.Http.GetStringAsync($"/messages/{id}");
        var attachment = AttachmentLink().Matches(page).Single(m => WebUtility.HtmlDecode(m.Groups["name"].Value) == PolicyPdf).Groups["path"].Value;
        var frame = await alice.Http.GetStringAsync($"/messages/{id}/body");
        var ticketed = WebUtility.HtmlDecode(InlineSrc().Matches(frame).Select(m => m.Groups["url"].Value).Single(u => u.Contains($"/messages/{id}/inline/", StringComparison.Ordinal)));
        using (var cookieless = Host.CreateHttpClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await cookieless.GetAsync(ticketed)).StatusCode);
        }

        return (new MessagePaths(id, sentByAlice, attachment, ticketed.Split('?')[0], ticketed), alice);
    }

    private async Task StartPortalAsync(bool acme = false, string[]? acmeTenants = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "100000",
            ["AzureAd:Instance"] = _idp.Instance,
            ["AzureAd:TenantId"] = _idp.TenantId,
            ["AzureAd:ClientId"] = ClientId,
            ["AzureAd:ClientSecret"] = ClientSecret,
            ["AzureAd:CallbackPath"] = "/signin-oidc",
            // Only because the local provider speaks plain http on loopback.
            ["AzureAd:RequireHttpsMetadata"] = "false",
        };
        if (acme)
        {
            settings["OmePortal:ExternalSignIn:Providers:acme:DisplayName"] = "Acme ID";
            settings["OmePortal:ExternalSignIn:Providers:acme:Authority"] = _idp.Issuer;
            settings["OmePortal:ExternalSignIn:Providers:acme:ClientId"] = ClientId;
            settings["OmePortal:ExternalSignIn:Providers:acme:ClientSecret"] = ClientSecret;
            settings["OmePortal:ExternalSignIn:Providers:acme:RequireHttpsMetadata"] = "false";
            for (var i = 0; i < (acmeTenants?.Length ?? 0); i++)
            {
                settings[$"OmePortal:ExternalSignIn:Providers:acme:Tenants:{i}"] = acmeTenants![i];
            }
        }

        var issuer = _idp.Issuer;
        var host = new PortalHost(Storage, settings)
        {
            // Microsoft.Identity.Web's issuer validator knows only Microsoft's clouds: name the local issuer (tests only).
            ServiceOverrides = services => services.PostConfigure<OpenIdConnectOptions>(ExternalProviders.MicrosoftScheme, o =>
                o.TokenValidationParameters.ValidIssuers = [issuer]),
        };
        try
        {
            _host = await host.StartAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        await _idp.RegisterClientAsync(ClientId, ClientSecret, $"{Host.BaseUrl}/signin-oidc", $"{Host.BaseUrl}/signin-oidc-acme");
    }

    /// <summary>Sets the sign-in switches of every brand template, as an admin saving the template does.</summary>
    private Task SetBrandAsync(bool otp, bool external) => DbAsync(async db =>
    {
        foreach (var template in await db.BrandTemplates.ToListAsync())
        {
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { OtpEnabled = otp, MicrosoftSignInEnabled = external });
            template.UpdatedAt = DateTimeOffset.UtcNow;
        }

        return await db.SaveChangesAsync();
    });

    private Task<RecipientBrowserlessClient> PasscodeSessionAsync(string address) => RecipientBrowserlessClient.SignInWithAddressAsync(Host, address);

    private async Task<RecipientBrowserlessClient> ExternalSessionAsync(string address, string provider = "microsoft")
    {
        var client = RecipientBrowserlessClient.Anonymous(Host);
        _idp.NextIdentity = new LocalOidcIdentity(address, EmailVerified: true);
        using var callback = await ExternalSignInFlow.RunAsync(client, "/signin", provider, new Dictionary<string, string> { ["returnUrl"] = "/inbox" });
        Assert.Equal("/inbox", callback.Headers.Location?.OriginalString);
        return client;
    }

    /// <summary>A signed-in session registers a passkey for its address; a fresh client then signs in with it alone.</summary>
    private async Task<RecipientBrowserlessClient> PasskeySessionAsync(RecipientBrowserlessClient registering)
    {
        var passkey = new SoftwarePasskey(Host.BaseUrl, "localhost");
        {
            using var options = await PostJsonAsync(registering, "/passkeys/registration/options", await registering.AntiforgeryTokenAsync("/security"), null);
            Assert.Equal(HttpStatusCode.OK, options.StatusCode);
            using var created = await PostJsonAsync(registering, "/passkeys/registration", await registering.AntiforgeryTokenAsync("/security"),
                new JsonObject { ["credential"] = passkey.Create(await options.Content.ReadAsStringAsync()) });
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        var client = RecipientBrowserlessClient.Anonymous(Host);
        using var signInOptions = await PostJsonAsync(client, "/passkeys/signin/options", await client.AntiforgeryTokenAsync("/signin"), null);
        using var signedIn = await PostJsonAsync(client, "/passkeys/signin", await client.AntiforgeryTokenAsync("/signin"),
            new JsonObject { ["credential"] = passkey.Get(await signInOptions.Content.ReadAsStringAsync()) });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.False(client.Cookies.ContainsKey(ChallengeCookie));
        passkey.Dispose();
        return client;
    }

    private static async Task<HttpResponseMessage> PostJsonAsync(RecipientBrowserlessClient client, string path, string token, JsonNode? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent((body ?? new JsonObject()).ToJsonString()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("RequestVerificationToken", token);
        return await client.Http.SendAsync(request);
    }

    private async Task<Guid> IngestAsync(MimeMessage message)
    {
        using var client = Host.CreateApiClient();
        var content = new ByteArrayContent(TestMessages.ToBytes(message));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("message/rfc822");
        using var response = await client.PostAsync("/api/v1/messages?protection=EncryptOnly", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }

    [GeneratedRegex("href=\"(?<path>/messages/[0-9a-f-]{36}/attachments/\\d+)\"[^>]*>(?<name>[^<]*)</a>")]
    private static partial Regex AttachmentLink();

    [GeneratedRegex("(?:src|background)=\"(?<url>[^\"]*)\"")]
    private static partial Regex InlineSrc();

    [GeneratedRegex("<li class=\"inbox-item[^\"]*\" data-message=\"(?<id>[0-9a-f-]{36})\"[^>]*data-state=\"(?<state>\\w+)\">.*?</li>", RegexOptions.Singleline)]
    private static partial Regex InboxItem();
}

public sealed class SignInChoiceSqliteTests : SignInChoiceTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SignInChoicePostgresTests : SignInChoiceTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
