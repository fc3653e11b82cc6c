using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Pages;

namespace OmePortal.Web.Tests.Audit;

internal static partial class AuditTestSupport
{
    public static Task<T> DbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query) => host.DbAsync(query);

    public static Task<T> ServiceAsync<TService, T>(PortalHost host, Func<TService, Task<T>> use)
        where TService : notnull =>
        host.InScopeAsync(services => use(services.GetRequiredService<TService>()));

    public static Task<Guid> FirstTenantAsync(PortalHost host) =>
        DbAsync(host, db => db.Tenants.OrderBy(t => t.CreatedAt).Select(t => t.Id).FirstAsync());

    /// <summary>The events of a message in the order they were written.</summary>
    public static Task<List<AuditEvent>> EventsOfAsync(PortalHost host, Guid messageId) =>
        DbAsync(host, db => db.AuditEvents.AsNoTracking().Where(e => e.MessageId == messageId).OrderBy(e => e.Id).ToListAsync());

    public static async Task WaitForEventAsync(PortalHost host, Guid messageId, AuditEventKind kind, int count = 1)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await EventsOfAsync(host, messageId)).Count(e => e.Kind == kind) < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No {kind} event for message {messageId}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// A second tenant with one message and its events, written straight into the database (the trace
    /// reads metadata only, so no blobs are needed): what tenant A's admin must never see.
    /// </summary>
    public static async Task<(Guid TenantId, Guid MessageId)> OtherTenantAsync(PortalHost host, string sender, string recipient)
    {
        var now = DateTimeOffset.UtcNow;
        var tenantId = Guid.NewGuid();
        var messageId = Guid.CreateVersion7(now);
        var recipientId = Guid.CreateVersion7(now);
        var templateId = Guid.NewGuid();
        await DbAsync(host, async db =>
        {
            db.Tenants.Add(new Tenant { Id = tenantId, Slug = "other-" + tenantId.ToString("N")[..8], Name = "Other", MaxMessageBytes = 1 << 20, CreatedAt = now });
            db.BrandTemplates.Add(new BrandTemplateRecord { Id = templateId, TenantId = tenantId, Name = "Other brand", IsDefault = true, Json = "{}", UpdatedAt = now });
            db.Messages.Add(new MessageRecord
            {
                Id = messageId,
                TenantId = tenantId,
                Source = IngestSource.Api,
                Protection = ProtectionLevel.EncryptOnly,
                TemplateId = templateId,
                SenderAddress = sender,
                ReceivedAt = now,
                SizeBytes = 1234,
                KeyVersion = 1,
                WrappedKey = [1, 2, 3],
                ContentBlob = "none",
                RenderBlob = "none",
                ConversationId = messageId,
                Recipients = [new RecipientRecord { Id = recipientId, MessageId = messageId, TenantId = tenantId, Address = recipient, Kind = RecipientKind.To, TokenHash = Guid.NewGuid().ToByteArray() }],
            });
            db.AuditEvents.Add(new AuditEvent { TenantId = tenantId, At = now, Kind = AuditEventKind.MessageReceived, Actor = "api:omp_other", MessageId = messageId });
            db.AuditEvents.Add(new AuditEvent { TenantId = tenantId, At = now, Kind = AuditEventKind.MessageViewed, Actor = recipient, MessageId = messageId, RecipientId = recipientId });
            return await db.SaveChangesAsync();
        });
        return (tenantId, messageId);
    }

    /// <summary>Asks for a passcode from the message link; returns the code page path and its reference code.</summary>
    public static async Task<(string CodePage, string Reference)> RequestPasscodeAsync(RecipientBrowserlessClient client, string link)
    {
        using var requested = await client.PostFormAsync(new Uri(link).PathAndQuery, new Dictionary<string, string>(), handler: "Passcode");
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        var codePage = requested.Headers.Location!.OriginalString;
        var page = new PasscodePage(await client.GetPageAsync(codePage));
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.NotNull(page.ReferenceCode);
        return (codePage, page.ReferenceCode);
    }

    public static async Task<HttpStatusCode> EnterCodeAsync(RecipientBrowserlessClient client, string codePage, string code)
    {
        using var response = await client.PostFormAsync(codePage, new Dictionary<string, string> { ["Input.Code"] = code });
        return response.StatusCode;
    }

    public static string WrongCode(string code) => ((long.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 100_000_000).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    public static string Normalized(string address) => AddressNormalizer.Normalize(address);
}
