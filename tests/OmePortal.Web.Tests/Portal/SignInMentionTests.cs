using System.Net;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Testing;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Portal;

/// <summary>
/// No promises that cannot be kept (issue 20, item 5): the notification mail and the link page name only the
/// sign-in methods a message really has: Microsoft only when a Microsoft provider is configured and the brand
/// allows it, the passcode only when the brand allows it. The built-in brand allows Microsoft, so without a
/// provider its messages used to promise a sign-in that did not exist.
/// </summary>
public abstract class SignInMentionTests : IAsyncLifetime
{
    private const string Reader = "ontvanger@example.nl";
    private const string PasscodeWay = "with a one-time passcode sent to this address";
    private const string MicrosoftWay = "by signing in with your Microsoft account";

    private PortalHost? _host;

    protected abstract StorageKind Storage { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    private async Task<PortalHost> StartAsync(bool microsoft)
    {
        var settings = Settings;
        if (microsoft)
        {
            // Configured, not reached: nothing here signs in, so the provider's metadata is never fetched.
            settings["AzureAd:Instance"] = "http://127.0.0.1:9/";
            settings["AzureAd:TenantId"] = "8f0c2b36-2c1d-4f5e-9a7b-1d2e3f4a5b6c";
            settings["AzureAd:ClientId"] = "omeportal-test";
            settings["AzureAd:ClientSecret"] = "local-test-secret";
            settings["AzureAd:RequireHttpsMetadata"] = "false";
        }

        return _host = await new PortalHost(Storage, settings).StartAsync();
    }

    private static async Task<MimeMessage> NotificationAsync(PortalHost host, Guid messageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            foreach (var file in Directory.Exists(host.OutboxDirectory) ? Directory.GetFiles(host.OutboxDirectory, "*.eml") : [])
            {
                var mail = await MimeMessage.LoadAsync(file);
                if (mail.Headers["X-OmePortal-Message-Id"] == messageId.ToString("D"))
                {
                    return mail;
                }

                mail.Dispose();
            }

            Assert.True(DateTime.UtcNow < deadline, $"No notification for {messageId} arrived.");
            await Task.Delay(50);
        }
    }

    private static async Task SetSwitchesAsync(PortalHost host, bool otp, bool microsoft) =>
        await host.DbAsync(async db =>
        {
            var template = await db.BrandTemplates.SingleAsync(t => t.IsDefault);
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { OtpEnabled = otp, MicrosoftSignInEnabled = microsoft });
            await db.SaveChangesAsync();
        });

    [Fact]
    public async Task NoProviderConfigured_NotificationAndLinkPage_OfferThePasscodeOnly()
    {
        var host = await StartAsync(microsoft: false);
        var message = await IngestAsync(host, SimpleMessage(Reader, "No provider"));

        using var mail = await NotificationAsync(host, message.Id);
        Assert.Contains(PasscodeWay, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains(PasscodeWay, mail.HtmlBody, StringComparison.Ordinal);
        foreach (var body in new[] { mail.TextBody, mail.HtmlBody })
        {
            Assert.DoesNotContain("Microsoft", body, StringComparison.OrdinalIgnoreCase);
        }

        using var visitor = RecipientBrowserlessClient.Anonymous(host);
        var link = await visitor.GetPageAsync(new Uri(message.Links[Reader]).PathAndQuery);
        Assert.NotNull(link.Find("form[action*='handler=Passcode']"));
        Assert.Null(link.Find(".external-signin"));
        Assert.DoesNotContain("Microsoft", link.Html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task MicrosoftConfigured_NotificationAndLinkPage_OfferIt_UnlessTheBrandTurnedItOff()
    {
        var host = await StartAsync(microsoft: true);
        var message = await IngestAsync(host, SimpleMessage(Reader, "With provider"));

        using var mail = await NotificationAsync(host, message.Id);
        Assert.Contains($"{PasscodeWay}, or {MicrosoftWay}.", mail.TextBody, StringComparison.Ordinal);
        using var visitor = RecipientBrowserlessClient.Anonymous(host);
        var link = await visitor.GetPageAsync(new Uri(message.Links[Reader]).PathAndQuery);
        Assert.NotNull(link.Find("form[action*='handler=Passcode']"));
        Assert.NotNull(link.Find(".external-signin button[data-provider='microsoft']"));

        // Only Microsoft: the mail names it alone, the page offers no passcode and no passkey.
        await SetSwitchesAsync(host, otp: false, microsoft: true);
        var microsoftOnly = await IngestAsync(host, SimpleMessage(Reader, "Microsoft only"));
        using (var only = await NotificationAsync(host, microsoftOnly.Id))
        {
            Assert.Contains($"confirm that you are the recipient: {MicrosoftWay}.", only.TextBody, StringComparison.Ordinal);
            Assert.DoesNotContain(PasscodeWay, only.TextBody, StringComparison.Ordinal);
        }

        var onlyPage = await visitor.GetPageAsync(new Uri(microsoftOnly.Links[Reader]).PathAndQuery);
        Assert.Null(onlyPage.Find("form[action*='handler=Passcode']"));
        Assert.Null(onlyPage.Find("#passkey-signin"));
        Assert.NotNull(onlyPage.Find(".external-signin button[data-provider='microsoft']"));

        // The brand turned Microsoft off: neither the mail nor the page mentions it, although it is configured.
        await SetSwitchesAsync(host, otp: true, microsoft: false);
        var passcodeOnly = await IngestAsync(host, SimpleMessage(Reader, "Passcode only"));
        using (var off = await NotificationAsync(host, passcodeOnly.Id))
        {
            Assert.Contains(PasscodeWay, off.TextBody, StringComparison.Ordinal);
            Assert.DoesNotContain("Microsoft", off.TextBody, StringComparison.OrdinalIgnoreCase);
        }

        var offPage = await visitor.GetPageAsync(new Uri(passcodeOnly.Links[Reader]).PathAndQuery);
        Assert.Null(offPage.Find(".external-signin"));
    }

    [Fact]
    public async Task Dutch_NotificationNamesTheWaysInDutch()
    {
        var host = await StartAsync(microsoft: true);
        await host.DbAsync(async db =>
        {
            var template = await db.BrandTemplates.SingleAsync(t => t.IsDefault);
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { DefaultLanguage = "nl" });
            await db.SaveChangesAsync();
        });
        var message = await IngestAsync(host, SimpleMessage(Reader, "Nederlands"));

        using var mail = await NotificationAsync(host, message.Id);
        Assert.Contains(
            "bevestigt u dat u de ontvanger bent: met een eenmalige code die naar dit adres wordt gestuurd, of door u aan te melden met uw Microsoft-account.",
            mail.TextBody,
            StringComparison.Ordinal);
    }
}

public sealed class SignInMentionSqliteTests : SignInMentionTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SignInMentionPostgresTests : SignInMentionTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
