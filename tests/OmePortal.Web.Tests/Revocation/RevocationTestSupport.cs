using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Revocation;
using OmePortal.Web.Tests.Reading;

namespace OmePortal.Web.Tests.Revocation;

internal static class RevocationTestSupport
{
    public const string PolicySample = "01-dutch-policy-inline-logo-pdf.eml";
    public const string PolicyPdf = "Polisblad 2026 – De Vries.pdf";

    /// <summary>Reading settings, with the background sweeper off: tests sweep by hand at the moment they choose.</summary>
    public static Dictionary<string, string?> Settings(bool sweeper = false, string? interval = null)
    {
        var settings = ReadingTestSupport.Settings;
        settings["OmePortal:Revocation:SweeperEnabled"] = sweeper ? "true" : "false";
        if (interval is not null)
        {
            settings["OmePortal:Revocation:SweepInterval"] = interval;
        }

        return settings;
    }

    /// <summary>The policy sample (inline logo, PDF) addressed to all of <paramref name="to"/>.</summary>
    public static byte[] PolicyTo(params string[] to)
    {
        using var message = MimeMessage.Load(TestEnvironment.SamplePath(PolicySample));
        message.To.Clear();
        foreach (var address in to)
        {
            message.To.Add(MailboxAddress.Parse(address));
        }

        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("contoso.test");
        return TestMessages.ToBytes(message);
    }

    public static async Task<T> WithScopeAsync<T>(PortalHost host, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    public static Task<RevocationResult> RevokeAsync(PortalHost host, Guid messageId, Guid? recipientId, string actor = "admin@contoso.test") =>
        WithScopeAsync(host, async sp =>
        {
            var tenant = await sp.GetRequiredService<OmePortalDbContext>().Messages.Where(m => m.Id == messageId).Select(m => m.TenantId).SingleAsync();
            return await sp.GetRequiredService<MessageRevocation>().RevokeAsync(tenant, messageId, recipientId, actor, CancellationToken.None);
        });

    public static Task<int> SweepAsync(PortalHost host) => host.Services.GetRequiredService<ExpirySweeper>().SweepAsync(CancellationToken.None);

    public static Task<Guid> RecipientIdAsync(PortalHost host, Guid messageId, string address) =>
        ReadingTestSupport.DbAsync(host, db => db.Recipients.Where(r => r.MessageId == messageId && r.Address == address).Select(r => r.Id).SingleAsync());

    public static Task<MessageRecord> MessageAsync(PortalHost host, Guid messageId) =>
        ReadingTestSupport.DbAsync(host, db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == messageId));

    public static Task<List<AuditEvent>> AuditAsync(PortalHost host, Guid messageId) =>
        ReadingTestSupport.DbAsync(host, db => db.AuditEvents.AsNoTracking().Where(e => e.MessageId == messageId).OrderBy(e => e.Id).ToListAsync());

    public static Task<bool> BlobExistsAsync(PortalHost host, string name) => host.BlobExistsAsync(name);

    /// <summary>Whether the portal still keeps the message's unwrapped key in memory for reuse (<see cref="OmePortal.Web.Vault.MessageKeyMemo"/>).</summary>
    public static bool KeyKeptInMemory(PortalHost host, MessageRecord before)
    {
        if (!host.Services.GetRequiredService<OmePortal.Web.Vault.MessageKeyMemo>().TryCopy(before.Id, before.KeyVersion, before.WrappedKey, out var key))
        {
            return false;
        }

        key.Dispose();
        return true;
    }

    public static void AssertNotOk(HttpStatusCode status, string path) =>
        Assert.True(status is HttpStatusCode.NotFound or HttpStatusCode.Gone, $"{path} answered {(int)status}");
}
