using System.Net;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Tests.Admin.Branding;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Portal;

/// <summary>
/// The tenant's brand on every recipient page of a message (issue 20, item 1): the link, the passcode entry, the
/// message, the compose page and the page after sign-out wear it (colours chosen by contrast, the logo served by
/// URL); /signin and /inbox stay neutral; a stranger asking by message id, an unknown challenge or template gets
/// the neutral look and no trace of the brand.
/// </summary>
public abstract class PageBrandTests : IAsyncLifetime
{
    private const string Reader = "lezer@example.nl";
    private const string Stranger = "vreemde@example.nl";
    private const string Navy = "#0B1F3A";
    private const string PortalText = "Contoso Secure Mail portal";

    private static readonly byte[] Logo = LogoImages.Png(48, 16);

    private PortalHost _host = null!;
    private Guid _templateId;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync()
    {
        // The reader asks for several passcodes in a row: the resend interval out of the way.
        _host = await new PortalHost(Storage, new Dictionary<string, string?>(Settings) { ["OmePortal:Passcodes:ResendInterval"] = "00:00:00" }).StartAsync();
        _templateId = await _host.DbAsync(async db =>
        {
            var template = await db.BrandTemplates.SingleAsync(t => t.IsDefault);
            var texts = new BrandTexts { PortalText = PortalText };
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with
            {
                BackgroundColor = Navy,
                Texts = new Dictionary<string, BrandTexts> { ["en"] = texts, ["nl"] = texts },
                Logo = new BrandLogo(Logo, BrandLogo.Png),
            });
            template.Logo = Logo;
            template.LogoContentType = BrandLogo.Png;
            await db.SaveChangesAsync();
            return template.Id;
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string LogoUrl => $"/brand/{_templateId:N}/logo";

    private void AssertBranded(HtmlPage page, string what)
    {
        Assert.True(page.Find("body.branded") is not null, $"{what}: not branded");
        var style = string.Join("\n", page.FindAll("head style").Select(s => s.TextContent));
        Assert.Contains($"--brand-bg:{Navy}", style, StringComparison.Ordinal);
        Assert.Contains("--on-brand:#FFFFFF", style, StringComparison.Ordinal); // navy is dark: light text on it
        Assert.Contains($"--accent:{Navy}", style, StringComparison.Ordinal); // dark enough to be the accent itself
        Assert.Equal(LogoUrl, page.Attribute("header img.brand-logo", "src"));
        Assert.False(string.IsNullOrWhiteSpace(page.Attribute("header img.brand-logo", "alt")), $"{what}: the logo has no text alternative");
    }

    private static void AssertNeutral(HtmlPage page, string what)
    {
        Assert.True(page.Find("body.branded") is null, $"{what}: branded");
        Assert.Null(page.Find("img.brand-logo"));
        Assert.DoesNotContain(Navy, page.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("/brand/", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalText, page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryPageOfTheReadersMessage_WearsItsBrand_SignInAndInboxStayNeutral()
    {
        var message = await IngestAsync(_host, SimpleMessage(Reader, "Branded"));
        var link = new Uri(message.Links[Reader]).PathAndQuery;

        using var visitor = RecipientBrowserlessClient.Anonymous(_host);
        var linkPage = await visitor.GetPageAsync(link);
        AssertBranded(linkPage, "link page");
        Assert.Contains(PortalText, linkPage.Html, StringComparison.Ordinal);
        AssertNeutral(await visitor.GetPageAsync("/signin"), "/signin");

        using var asked = await visitor.PostFormAsync(link, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        AssertBranded(await visitor.GetPageAsync(asked.Headers.Location!.OriginalString), "code page");

        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[Reader]);
        var messagePage = await reader.GetPageAsync($"/messages/{message.Id}");
        Assert.Equal(HttpStatusCode.OK, messagePage.Status);
        AssertBranded(messagePage, "message page");
        AssertBranded(await reader.GetPageAsync($"/messages/{message.Id}/reply?mode=reply"), "compose page");
        AssertNeutral(await reader.GetPageAsync("/inbox"), "/inbox");

        // The header's sign-out carries the brand on, and the signed-out page keeps it.
        var signOut = messagePage.Find("header form[action^='/signout']")?.GetAttribute("action");
        Assert.Equal($"/signout?brand={_templateId:N}", signOut);
        AssertBranded(await reader.GetPageAsync(signOut!), "signed-out page");

        // The logo comes from its own URL, kept by the browser a few minutes, not inlined in every page.
        using var logo = await visitor.Http.GetAsync(LogoUrl);
        Assert.Equal(HttpStatusCode.OK, logo.StatusCode);
        Assert.Equal("image/png", logo.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Logo, await logo.Content.ReadAsByteArrayAsync());
        Assert.True(logo.Headers.CacheControl is { Private: true, MaxAge.TotalSeconds: 300 }, $"Cache-Control: {logo.Headers.CacheControl}");
        Assert.DoesNotContain("data:image/png", messagePage.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredAndRevokedPages_OfTheReadersLink_KeepTheBrand()
    {
        var expiring = await IngestAsync(_host, SimpleMessage(Reader, "Expiring"));
        var revoked = await IngestAsync(_host, SimpleMessage(Reader, "Revoked"));
        await _host.DbAsync(async db =>
        {
            var message = await db.Messages.SingleAsync(m => m.Id == expiring.Id);
            message.ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1);
            var recipient = await db.Recipients.SingleAsync(r => r.MessageId == revoked.Id);
            recipient.RevokedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync();
        });

        using var visitor = RecipientBrowserlessClient.Anonymous(_host);
        var expiredPage = await visitor.GetPageAsync(new Uri(expiring.Links[Reader]).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, expiredPage.Status);
        AssertBranded(expiredPage, "expired link page");
        var revokedPage = await visitor.GetPageAsync(new Uri(revoked.Links[Reader]).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, revokedPage.Status);
        AssertBranded(revokedPage, "revoked link page");
        AssertNeutral(await visitor.GetPageAsync("/m/" + new string('A', 43)), "unknown link page");
    }

    [Fact]
    public async Task Stranger_GetsNothingOfTheBrand_ByMessageIdChallengeOrUnknownTemplate()
    {
        var message = await IngestAsync(_host, SimpleMessage(Reader, "Not yours"));
        await IngestAsync(_host, SimpleMessage(Stranger, "The stranger's own")); // so the stranger's sign-in sends a passcode

        using var stranger = await RecipientBrowserlessClient.SignInWithAddressAsync(_host, Stranger);
        var refused = await stranger.GetPageAsync($"/messages/{message.Id}");
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        AssertNeutral(refused, "a stranger's message page");
        var compose = await stranger.GetPageAsync($"/messages/{message.Id}/reply?mode=reply");
        Assert.Equal(HttpStatusCode.NotFound, compose.Status);
        AssertNeutral(compose, "a stranger's compose page");

        using var visitor = RecipientBrowserlessClient.Anonymous(_host);
        AssertNeutral(await visitor.GetPageAsync($"/signin/code?challenge={Guid.NewGuid()}"), "an unknown challenge");
        AssertNeutral(await visitor.GetPageAsync($"/signout?brand={Guid.NewGuid():N}"), "an unknown template");
        AssertNeutral(await visitor.GetPageAsync("/signout?brand=not-a-guid"), "a malformed template id");
        using var noLogo = await visitor.Http.GetAsync($"/brand/{Guid.NewGuid():N}/logo");
        Assert.Equal(HttpStatusCode.NotFound, noLogo.StatusCode);

        // The passcode of the inbox sign-in belongs to no message: its code page is neutral too.
        using var asked = await visitor.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = Reader });
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        AssertNeutral(await visitor.GetPageAsync(asked.Headers.Location!.OriginalString), "the inbox sign-in's code page");
    }

    [Fact]
    public async Task EditedTemplate_ShowsAtOnce_OnTheNextPage()
    {
        var message = await IngestAsync(_host, SimpleMessage(Reader, "Edited"));
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[Reader]);
        AssertBranded(await reader.GetPageAsync($"/messages/{message.Id}"), "message page before the edit");

        const string Yellow = "#FFD400";
        await _host.DbAsync(async db =>
        {
            var template = await db.BrandTemplates.SingleAsync(t => t.Id == _templateId);
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { BackgroundColor = Yellow, Logo = null });
            template.Logo = null;
            template.LogoContentType = null;
            await db.SaveChangesAsync();
        });

        var after = await reader.GetPageAsync($"/messages/{message.Id}");
        var style = string.Join("\n", after.FindAll("head style").Select(s => s.TextContent));
        Assert.Contains($"--brand-bg:{Yellow}", style, StringComparison.Ordinal);
        Assert.Contains($"--on-brand:{BrandColors.DarkText}", style, StringComparison.Ordinal); // yellow is light: dark text
        Assert.Contains($"--accent:{BrandColors.PortalAccent}", style, StringComparison.Ordinal); // too light for links on white
        Assert.Null(after.Find("img.brand-logo"));
    }
}

public sealed class PageBrandSqliteTests : PageBrandTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class PageBrandPostgresTests : PageBrandTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
