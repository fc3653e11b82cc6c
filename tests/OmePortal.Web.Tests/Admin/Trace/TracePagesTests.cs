using System.Net;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Tests.Replies;
using static OmePortal.Web.Tests.Audit.AuditTestSupport;

namespace OmePortal.Web.Tests.Admin.Trace;

/// <summary>
/// The trace and audit pages as a signed-in tenant admin sees them: statuses per recipient, metadata
/// only, and nothing of another tenant (by id, by search, or in the CSV export). The tests share one
/// portal per class: each ingests its own messages and signs in its own admins, and Bob signs in once.
/// </summary>
public abstract class TracePagesTests(SharedPortalHost shared)
{
    private const string Bob = "bob@example.nl";
    private const string Carol = "carol@example.nl";

    private readonly PortalHost _host = shared.Host;

    protected abstract StorageKind Storage { get; }

    /// <summary>The portal the class shares (the subclasses choose the database).</summary>
    public abstract class Host : SharedPortalHost
    {
        protected override IDictionary<string, string?>? Settings => ReplyTestSupport.Settings();
    }

    public sealed class SqliteHost : Host
    {
        protected override StorageKind Storage => StorageKind.Sqlite;
    }

    public sealed class PostgresHost : Host
    {
        protected override StorageKind Storage => StorageKind.Postgres;
    }

    private async Task<string> DefaultSlugAsync() =>
        await DbAsync(_host, db => Task.FromResult(db.Tenants.OrderBy(t => t.CreatedAt).Select(t => t.Slug).First()));

    [Fact]
    public async Task TracePages_TenantAdmin_SeesStatusesPerRecipientAndNoContent()
    {
        var marker = TestMessages.NewMarker("Subject");
        var original = await ReplyTestSupport.IngestAsync(_host, [Bob, Carol], marker: marker);
        await WaitForEventAsync(_host, original.Id, AuditEventKind.NotificationSent, count: 2);
        using (var bob = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, original.Links[Bob]))
        {
            Assert.Equal(HttpStatusCode.OK, (await bob.Http.GetAsync($"/messages/{original.Id}")).StatusCode);
        }

        using var admin = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());
        var list = await admin.Http.GetAsync("/admin/trace?recipient=carol");
        var listHtml = await list.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains($"data-message=\"{original.Id}\"", listHtml, StringComparison.Ordinal);
        Assert.Contains("no-store", list.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);

        var page = await admin.Http.GetAsync($"/admin/trace/{original.Id}");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain(marker, html, StringComparison.Ordinal);
        Assert.DoesNotContain("Quarterly figures", html, StringComparison.Ordinal);
        Assert.Contains("data-status=\"notification\" data-value=\"Sent\"", Row(html, Bob), StringComparison.Ordinal);
        Assert.Contains("data-status=\"signin\" data-value=\"passcode\"", Row(html, Bob), StringComparison.Ordinal);
        Assert.Contains("data-status=\"signin\" data-value=\"\"", Row(html, Carol), StringComparison.Ordinal);
        Assert.Contains("data-kind=\"MessageViewed\"", html, StringComparison.Ordinal);

        var nl = new HttpRequestMessage(HttpMethod.Get, $"/admin/trace/{original.Id}");
        nl.Headers.AcceptLanguage.ParseAdd("nl");
        var dutch = await (await admin.Http.SendAsync(nl)).Content.ReadAsStringAsync();
        Assert.Contains("Tracering van een bericht", dutch, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantIsolation_AdminOfA_GetsNothingOfBByIdSearchOrExport()
    {
        var mine = await ReplyTestSupport.IngestAsync(_host, [Bob]);
        var (tenantB, theirs) = await OtherTenantAsync(_host, "ceo@fabrikam.test", Bob);
        using var adminA = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await adminA.Http.GetAsync($"/admin/trace/{theirs}")).StatusCode);
        var search = await (await adminA.Http.GetAsync("/admin/trace?sender=fabrikam")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(theirs.ToString(), search, StringComparison.Ordinal);
        var byRecipient = await (await adminA.Http.GetAsync($"/admin/trace?recipient={Bob}")).Content.ReadAsStringAsync();
        Assert.Contains(mine.Id.ToString(), byRecipient, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs.ToString(), byRecipient, StringComparison.Ordinal);

        var audit = await (await adminA.Http.GetAsync($"/admin/audit?message={theirs}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("data-kind=", audit, StringComparison.Ordinal);
        var export = await adminA.Http.GetAsync("/admin/audit?handler=export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", export.Content.Headers.ContentDisposition?.DispositionType);
        var csv = await export.Content.ReadAsStringAsync();
        Assert.StartsWith("id,at_utc,kind,actor,message_id,recipient_id,detail\r\n", csv, StringComparison.Ordinal);
        Assert.Contains(mine.Id.ToString(), csv, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs.ToString(), csv, StringComparison.Ordinal);
        Assert.DoesNotContain("api:omp_other", csv, StringComparison.Ordinal);

        // And the other way round: B's admin sees B's message, not A's.
        var accountB = await AdminClient.CreateAdminAsync(_host, tenantB);
        using var adminB = await AdminClient.SignInAsync(_host, accountB.Email, accountB.Password, accountB.TotpSecret);
        Assert.Equal(HttpStatusCode.OK, (await adminB.Http.GetAsync($"/admin/trace/{theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.Http.GetAsync($"/admin/trace/{mine.Id}")).StatusCode);
        var csvB = await (await adminB.Http.GetAsync("/admin/audit?handler=export")).Content.ReadAsStringAsync();
        Assert.Contains(theirs.ToString(), csvB, StringComparison.Ordinal);
        Assert.DoesNotContain(mine.Id.ToString(), csvB, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_WithoutAdminSignIn_AreNotServed()
    {
        var mine = await ReplyTestSupport.IngestAsync(_host, [Bob]);
        using var anonymous = AdminClient.Anonymous(_host);
        foreach (var path in new[] { "/admin/trace", $"/admin/trace/{mine.Id}", "/admin/audit", "/admin/audit?handler=export" })
        {
            using var response = await anonymous.Http.GetAsync(path);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain(mine.Id.ToString(), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Filters_InvalidDateOrMessageId_AreRefusedWithAMessage()
    {
        using var admin = await AdminClient.SignInTenantAdminAsync(_host, await DefaultSlugAsync());
        var trace = await admin.Http.GetAsync("/admin/trace?from=31-12-2026");
        Assert.Equal(HttpStatusCode.BadRequest, trace.StatusCode);
        Assert.Contains("id=\"from-error\"", await trace.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var audit = await admin.Http.GetAsync("/admin/audit?message=not-a-guid");
        Assert.Equal(HttpStatusCode.BadRequest, audit.StatusCode);
        Assert.Contains("id=\"message-error\"", await audit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>The table row of one recipient on the trace page.</summary>
    private static string Row(string html, string address)
    {
        var start = html.IndexOf($"data-recipient=\"{address}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"No row for {address}.");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }
}

public sealed class TracePagesSqliteTests(TracePagesTests.SqliteHost host) : TracePagesTests(host), IClassFixture<TracePagesTests.SqliteHost>
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class TracePagesPostgresTests(TracePagesTests.PostgresHost host) : TracePagesTests(host), IClassFixture<TracePagesTests.PostgresHost>
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
