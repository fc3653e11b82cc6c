using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;
using OmePortal.Web.Rules;
using OmePortal.Web.Tenancy;
using OmePortal.Web.Tests.Admin.Branding;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Notifications;

/// <summary>
/// The passcode mail of the inbox sign-in (<c>/signin</c>, no message) is in the portal's neutral brand: with mail
/// from two tenants to one address, it shows neither tenant's texts, colour or logo. A passcode asked for from a
/// message's link keeps that message's brand.
/// </summary>
public abstract class SignInPasscodeBrandTests : IAsyncLifetime
{
    private const string Reader = "beide@example.nl";

    private static readonly Brand Contoso = new("Contoso Secure Mail", "Sent for Contoso Insurance.", "#0B3D91", LogoImages.Png(31, 17));
    private static readonly Brand Fabrikam = new("Fabrikam Vault", "Sent for Fabrikam Bank.", "#8A1538", LogoImages.Png(37, 19));

    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    // Two passcodes for one address in a row: the resend interval out of the way.
    public async Task InitializeAsync() =>
        _host = await new PortalHost(Storage, new Dictionary<string, string?>(Settings) { ["OmePortal:Passcodes:ResendInterval"] = "00:00:00" }).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private sealed record Brand(string PortalText, string Disclaimer, string Colour, byte[] Logo);

    [Fact]
    public async Task SignInWithoutAMessage_PasscodeMail_CarriesNeitherTenantsBrand()
    {
        var contoso = await DbAsync(_host, db => db.Tenants.Where(t => t.Slug == "default").Select(t => t.Id).SingleAsync());
        var (fabrikam, fabrikamKey) = await AddTenantAsync("fabrikam", "fabrikam.test");
        await BrandAsync(contoso, Contoso);
        await BrandAsync(fabrikam, Fabrikam);

        // Mail from both; Fabrikam's is the newest, whose brand the inbox sign-in used to wear.
        await IngestAsync(_host, SimpleMessage(Reader, "From Contoso"));
        var fromFabrikam = await PortalIngest.IngestAsync(_host.BaseUrl, fabrikamKey, From("sender@fabrikam.test", "From Fabrikam"));
        await _host.WaitForOutboxAsync(2);

        using var reader = RecipientBrowserlessClient.Anonymous(_host);
        using var requested = await reader.PostFormAsync("/signin", new Dictionary<string, string> { ["Input.Address"] = Reader });
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        var neutral = await PasscodeMailAsync(reader, requested.Headers.Location!.OriginalString);

        foreach (var brand in new[] { Contoso, Fabrikam })
        {
            AssertNotWearing(neutral, brand);
        }

        Assert.DoesNotContain(neutral.BodyParts.OfType<MimePart>(), p => p.ContentType.MediaType == "image");
        Assert.Contains(BrandTemplate.BuiltInTexts("en").PortalText!, neutral.TextBody, StringComparison.Ordinal);

        // The same check sees a brand where there is one: the passcode of Fabrikam's link wears Fabrikam's.
        using var fromLink = RecipientBrowserlessClient.Anonymous(_host);
        using var linkRequest = await fromLink.PostFormAsync(new Uri(fromFabrikam.Links[Reader]).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.Redirect, linkRequest.StatusCode);
        var branded = await PasscodeMailAsync(fromLink, linkRequest.Headers.Location!.OriginalString);
        Assert.Contains(Fabrikam.PortalText, branded.TextBody, StringComparison.Ordinal);
        Assert.Contains(Fabrikam.Colour, branded.HtmlBody, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(branded.BodyParts.OfType<MimePart>(), p => p.ContentType.MediaType == "image" && Decoded(p).SequenceEqual(Fabrikam.Logo));
        AssertNotWearing(branded, Contoso);
    }

    private static void AssertNotWearing(MimeMessage mail, Brand brand)
    {
        foreach (var body in new[] { mail.TextBody, mail.HtmlBody })
        {
            Assert.DoesNotContain(brand.PortalText, body, StringComparison.Ordinal);
            Assert.DoesNotContain(brand.Disclaimer, body, StringComparison.Ordinal);
            Assert.DoesNotContain(brand.Colour, body, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain(mail.BodyParts.OfType<MimePart>(), p => Decoded(p).SequenceEqual(brand.Logo));
    }

    private static byte[] Decoded(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content?.DecodeTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The passcode mail whose reference the code page at <paramref name="codePage"/> shows.</summary>
    private async Task<MimeMessage> PasscodeMailAsync(RecipientBrowserlessClient client, string codePage)
    {
        var reference = new PasscodePage(await client.GetPageAsync(codePage)).ReferenceCode ?? throw new InvalidOperationException("No reference code.");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            foreach (var file in Directory.GetFiles(_host.OutboxDirectory, "*.eml"))
            {
                var mail = await MimeMessage.LoadAsync(file);
                if (mail.Headers["X-OmePortal-Mail-Kind"] == "passcode" && mail.TextBody?.Contains(reference, StringComparison.Ordinal) == true)
                {
                    return mail;
                }

                mail.Dispose();
            }

            Assert.True(DateTime.UtcNow < deadline, $"No passcode mail with reference {reference} arrived.");
            await Task.Delay(50);
        }
    }

    private static byte[] From(string sender, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(sender));
        message.To.Add(MailboxAddress.Parse(Reader));
        message.Subject = subject;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("fabrikam.test");
        message.Body = new TextPart("plain") { Text = "Hello" };
        return TestMessages.ToBytes(message);
    }

    /// <summary>A second tenant as the system admin makes one, with an API key and an accepted domain.</summary>
    private async Task<(Guid Id, string Key)> AddTenantAsync(string slug, string domain)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantProvisioner>().Add(db, slug, slug);
        var key = ApiKeys.NewKey();
        scope.ServiceProvider.GetRequiredService<ApiKeys>().Add(tenant.Id, "test", key);
        await db.SaveChangesAsync();
        Assert.True(await scope.ServiceProvider.GetRequiredService<RuleStore>().SetDomainsAsync(tenant.Id, [domain], "admin@" + domain, CancellationToken.None));
        return (tenant.Id, key);
    }

    /// <summary>The tenant's default template with the brand's portal text, disclaimer, colour and logo, in both languages.</summary>
    private async Task BrandAsync(Guid tenantId, Brand brand)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var template = await db.ForTenant(tenantId).BrandTemplates.SingleAsync(t => t.IsDefault);
        var texts = new BrandTexts { PortalText = brand.PortalText, DisclaimerText = brand.Disclaimer };
        template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with
        {
            BackgroundColor = brand.Colour,
            Texts = new Dictionary<string, BrandTexts> { ["en"] = texts, ["nl"] = texts },
        });
        template.Logo = brand.Logo;
        template.LogoContentType = BrandLogo.Png;
        await db.SaveChangesAsync();
    }
}

public sealed class SignInPasscodeBrandSqliteTests : SignInPasscodeBrandTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SignInPasscodeBrandPostgresTests : SignInPasscodeBrandTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
