using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Intake;
using OmePortal.Core.Rules;
using OmePortal.Data;
using OmePortal.Web.Rules;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Rules;

internal static class RulesTestSupport
{
    public static readonly RuleConditions SecureSubject = new() { SubjectWords = ["[secure]"] };

    /// <summary>Settings that point the gateway's relay at the sink (STARTTLS, its certificate pinned).</summary>
    public static Dictionary<string, string?> RelayTo(SmtpSink sink) => new()
    {
        ["OmePortal:Rules:Relay:Host"] = "127.0.0.1",
        ["OmePortal:Rules:Relay:Port"] = sink.Port.ToString(CultureInfo.InvariantCulture),
        ["OmePortal:Rules:Relay:Security"] = "StartTls",
        ["OmePortal:Rules:Relay:PinnedCertificateSha256"] = sink.CertificateSha256,
        ["OmePortal:Rules:Relay:Timeout"] = "00:00:10",
    };

    public static async Task<Guid> DefaultTenantAsync(PortalHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        return await db.Tenants.Where(t => t.Slug == "default").Select(t => t.Id).SingleAsync();
    }

    public static async Task<Guid> AddRuleAsync(PortalHost host, string name, RuleConditions conditions, RuleAction action, bool stop = false, Guid? tenantId = null)
    {
        var tenant = tenantId ?? await DefaultTenantAsync(host);
        await using var scope = host.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<RuleStore>();
        var result = await store.SaveAsync(tenant, null, name, conditions, action, stop, enabled: true, "test@contoso.test", CancellationToken.None);
        return Assert.IsType<RuleSaveResult.Saved>(result).Id;
    }

    public static async Task<T> WithDbAsync<T>(PortalHost host, Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }

    /// <summary>A hand-written message with header layout MimeKit would never produce, to prove a relay is verbatim.</summary>
    public static byte[] RawMessage(string subject, string to = "patient@example.org") => Encoding.ASCII.GetBytes(
        "Received: from mail.contoso.test (mail.contoso.test [192.0.2.10])\r\n" +
        "\tby gateway.contoso.test; Wed, 2 Dec 2026 03:00:00 +0000\r\n" +
        "From: \"Dr. Jansen\" <dr.jansen@contoso.test>\r\n" +
        $"To: {to}\r\n" +
        $"Subject:   {subject}\r\n" +
        "X-Odd-Header:    spaced   out\r\n" +
        "\t and folded\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@contoso.test>\r\n" +
        "Date: Wed, 2 Dec 2026 03:00:00 +0000\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n" +
        "\r\n" +
        "Line one.\r\n" +
        ".A line that starts with a dot.\r\n" +
        "Trailing spaces   \r\n" +
        "\r\n" +
        "-- \r\n" +
        "Signature\r\n");

    public static ProtectionLevel Dnf => ProtectionLevel.DoNotForward;
}
