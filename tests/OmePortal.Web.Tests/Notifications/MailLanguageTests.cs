using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Notifications;

/// <summary>
/// Mails in the reader's language, end to end through the outbox: the passcode mail in the language of
/// the page that asked for it; the notification in the language the recipient last used in the portal,
/// else the original's Content-Language, else the template's default; and the tenant's switch for both.
/// </summary>
public abstract class MailLanguageTests
{
    private const string EnglishNotification = "has sent you a protected message";
    private const string DutchNotification = "heeft u een beveiligd bericht gestuurd";

    protected abstract StorageKind Storage { get; }

    private sealed record Ingested(Guid Id, string Link);

    private static async Task<Ingested> IngestAsync(PortalHost host, string to, string? contentLanguage = null)
    {
        var message = TestMessages.WithMarkers("s", "h", "t", "a", to);
        if (contentLanguage is not null)
        {
            message.Headers.Add(HeaderId.ContentLanguage, contentLanguage);
        }

        using var client = host.CreateApiClient();
        var content = new ByteArrayContent(TestMessages.ToBytes(message));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("message/rfc822");
        using var response = await client.PostAsync("/api/v1/messages", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return new Ingested(created.GetProperty("id").GetGuid(), created.GetProperty("recipients")[0].GetProperty("link").GetString()!);
    }

    /// <summary>The notification of one message, once it is in the outbox.</summary>
    private static Task<MimeMessage> NotificationAsync(PortalHost host, Ingested message) =>
        WaitForMailAsync(host, mail => mail.Headers["X-OmePortal-Message-Id"] == message.Id.ToString("D"));

    /// <summary>The (single) passcode mail of the test.</summary>
    private static Task<MimeMessage> PasscodeMailAsync(PortalHost host) =>
        WaitForMailAsync(host, mail => mail.Headers["X-OmePortal-Mail-Kind"] == "passcode");

    private static async Task<MimeMessage> WaitForMailAsync(PortalHost host, Func<MimeMessage, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (Directory.Exists(host.OutboxDirectory))
            {
                foreach (var file in Directory.GetFiles(host.OutboxDirectory, "*.eml"))
                {
                    var mail = await MimeMessage.LoadAsync(file);
                    if (match(mail))
                    {
                        return mail;
                    }
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The expected mail never reached the outbox.");
            }

            await Task.Delay(50);
        }
    }

    private static string? LanguageOf(MimeMessage mail) => mail.Body!.Headers[HeaderId.ContentLanguage];

    [Theory]
    [InlineData("en", "nl")]
    [InlineData("nl", "en")]
    public async Task PasscodeMail_IsInTheLanguageOfThePageThatAskedForIt(string page, string messageLanguage)
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        var message = await IngestAsync(host, "reader@example.nl", contentLanguage: messageLanguage);
        await NotificationAsync(host, message);

        using var reader = RecipientBrowserlessClient.Anonymous(host);
        reader.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(page);
        using var asked = await reader.PostFormAsync(new Uri(message.Link).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);

        var mail = await PasscodeMailAsync(host);
        Assert.Equal(page, LanguageOf(mail));
        Assert.StartsWith(page == "nl" ? "Uw eenmalige toegangscode" : "Your one-time passcode", mail.Subject, StringComparison.Ordinal);
        Assert.Contains($"<html lang=\"{page}\"", mail.HtmlBody, StringComparison.Ordinal);

        // The language is kept with the queued mail, not looked up again when it is sent.
        var queued = await QueryAsync(host, db => db.OutboundMails.AsNoTracking().SingleAsync(o => o.Kind == OutboundMailKind.Passcode));
        Assert.Equal(page, queued.Language);
    }

    [Fact]
    public async Task Notification_FollowsTheOriginalsContentLanguage()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        var dutchMessage = await IngestAsync(host, "dutch@example.nl", contentLanguage: "nl-NL, en");
        var plainMessage = await IngestAsync(host, "plain@example.nl");

        var dutch = await NotificationAsync(host, dutchMessage);
        Assert.Equal("nl", LanguageOf(dutch));
        Assert.Contains(DutchNotification, dutch.Subject, StringComparison.Ordinal);

        // Without the header the template's default language (English) stays.
        var plain = await NotificationAsync(host, plainMessage);
        Assert.Equal("en", LanguageOf(plain));
        Assert.Contains(EnglishNotification, plain.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notification_AfterTheRecipientUsedThePortalInDutch_IsDutch()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        const string to = "returning@example.nl";
        var first = await IngestAsync(host, to, contentLanguage: "en");
        Assert.Contains(EnglishNotification, (await NotificationAsync(host, first)).Subject, StringComparison.Ordinal);

        using (var reader = RecipientBrowserlessClient.Anonymous(host))
        {
            reader.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("nl");
            await reader.SignInFromLinkAsync(first.Link);
        }

        // The recipient's own choice beats the next message's Content-Language.
        var next = await NotificationAsync(host, await IngestAsync(host, to, contentLanguage: "en"));
        Assert.Equal("nl", LanguageOf(next));
        Assert.Contains(DutchNotification, next.Subject, StringComparison.Ordinal);

        // Someone else is not affected, and only a keyed hash of the address is stored.
        var other = await NotificationAsync(host, await IngestAsync(host, "other@example.nl"));
        Assert.Contains(EnglishNotification, other.Subject, StringComparison.Ordinal);
        var stored = await QueryAsync(host, db => db.RecipientLanguagePreferences.AsNoTracking().ToListAsync());
        var row = Assert.Single(stored);
        Assert.Equal("nl", row.Language);
        Assert.Equal(32, row.AddressHash.Length);
        Assert.DoesNotContain("returning", System.Text.Encoding.Latin1.GetString(row.AddressHash), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notification_AWrongPasscodeRemembersNoLanguage()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        const string to = "stranger-target@example.nl";
        var message = await IngestAsync(host, to);
        await NotificationAsync(host, message);

        // A stranger asks for a code in Dutch and guesses: the recipient's language must not change.
        using var stranger = RecipientBrowserlessClient.Anonymous(host);
        stranger.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("nl");
        using var asked = await stranger.PostFormAsync(new Uri(message.Link).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        var codePage = asked.Headers.Location!.OriginalString;
        using var wrong = await stranger.PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = "00000000" });
        Assert.Equal(codePage, wrong.Headers.Location?.OriginalString); // back to the code page, not signed in

        Assert.Empty(await QueryAsync(host, db => db.RecipientLanguagePreferences.AsNoTracking().ToListAsync()));
        Assert.Contains(EnglishNotification, (await NotificationAsync(host, await IngestAsync(host, to))).Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BothLanguagesSwitch_SetInTheAdminForm_SendsBothTexts()
    {
        await using var host = await new PortalHost(Storage).StartAsync();
        using var admin = await AdminClient.SignInTenantAdminAsync(host);
        var template = await QueryAsync(host, db => db.BrandTemplates.AsNoTracking()
            .SingleAsync(t => t.IsDefault && db.Tenants.Any(x => x.Id == t.TenantId && x.Slug == "default")));
        var brand = BrandSerializer.FromJson(template.Json, null);
        Assert.False(brand.NotifyInBothLanguages);

        var form = new MultipartFormDataContent
        {
            { new StringContent(brand.Name), "Input.Name" },
            { new StringContent("en"), "Input.DefaultLanguage" },
            { new StringContent("true"), "Input.NotifyInBothLanguages" },
            { new StringContent(brand.BackgroundColor), "Input.BackgroundColor" },
            { new StringContent("true"), "Input.OtpEnabled" },
            { new StringContent(brand.ExpiryDays.ToString(System.Globalization.CultureInfo.InvariantCulture)), "Input.ExpiryDays" },
            { new StringContent("en"), "Input.Texts[0].Language" },
            { new StringContent("Read it at Contoso"), "Input.Texts[0].ReadButtonText" },
            { new StringContent("nl"), "Input.Texts[1].Language" },
            { new StringContent("Lees het bij Contoso"), "Input.Texts[1].ReadButtonText" },
        };
        using var saved = await admin.PostMultipartAsync($"/admin/branding/{template.Id}?handler=Save", form, tokenPage: $"/admin/branding/{template.Id}");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var edit = await admin.Http.GetStringAsync($"/admin/branding/{template.Id}");
        var checkbox = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(edit).QuerySelector("input[type=checkbox][name='Input.NotifyInBothLanguages']");
        Assert.NotNull(checkbox);
        Assert.True(checkbox!.HasAttribute("checked"));
        Assert.True(BrandSerializer.FromJson((await QueryAsync(host, db => db.BrandTemplates.AsNoTracking().SingleAsync(t => t.Id == template.Id))).Json, null).NotifyInBothLanguages);

        // A Dutch message: Dutch first, then English, in the HTML, the text and the Content-Language.
        var mail = await NotificationAsync(host, await IngestAsync(host, "both@example.nl", contentLanguage: "nl"));
        Assert.Equal("nl, en", LanguageOf(mail));
        Assert.Contains(DutchNotification, mail.Subject, StringComparison.Ordinal);
        Assert.Contains(EnglishNotification, mail.Subject, StringComparison.Ordinal);
        foreach (var body in new[] { mail.HtmlBody!, mail.TextBody! })
        {
            var dutch = body.IndexOf("Lees het bij Contoso", StringComparison.Ordinal);
            var english = body.IndexOf("Read it at Contoso", StringComparison.Ordinal);
            Assert.True(dutch >= 0 && english > dutch, "both texts, the Dutch one first");
        }
    }

    private static async Task<T> QueryAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }
}

public sealed class MailLanguageSqliteTests : MailLanguageTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class MailLanguagePostgresTests : MailLanguageTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
