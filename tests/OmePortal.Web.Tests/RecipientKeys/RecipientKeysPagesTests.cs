using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Org.BouncyCastle.Bcpg.OpenPgp;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Interop;
using OmePortal.Testing.Pages;
using OmePortal.Web.RecipientKeys;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Tests.RecipientKeys;

/// <summary>
/// /admin/recipient-keys (directory, upload of several files, trust anchors, settings, signing identities) and the
/// recipient's own keys on /security, over real HTTP with keys made by gpg and openssl. The admin tests each work
/// in a tenant of their own; the recipient tests use addresses of their own. Nobody reaches another's keys.
/// </summary>
public abstract class RecipientKeysPagesTests(SharedPortalHost shared, RecipientTestKeys keys)
{
    private readonly PortalHost _host = shared.Host;

    public sealed class SqliteHost : SharedPortalHost
    {
        protected override StorageKind Storage => StorageKind.Sqlite;

        protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
        {
            ["OmePortal:Admin:SignInRequestsPerMinutePerClient"] = "1000",
            ["OmePortal:Passcodes:RequestsPerMinutePerClient"] = "1000",
        };
    }

    [Fact]
    public async Task Admin_UploadsSeveralFiles_SeesStatusAndReason_AndTrustsTheCa()
    {
        var (_, admin) = await NewTenantAdminAsync();

        using var uploaded = await UploadAsync(admin, ("alice.asc", keys.PgpPublic), ("bob.pem", keys.SmimePem));

        Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        var page = new RecipientKeysAdminPage(new HtmlPage(await uploaded.Content.ReadAsStringAsync()));
        Assert.Equal(2, page.Outcomes.Count);
        Assert.All(page.Outcomes, o => Assert.True(o.Accepted, o.Text));
        var bobFingerprint = page.Statuses.Keys.Single(k => k != keys.PgpFingerprint);
        Assert.Equal("Usable", page.Statuses[keys.PgpFingerprint]);
        Assert.Equal("Untrusted", page.Statuses[bobFingerprint]);
        Assert.Contains("trust anchor", page.ReasonOf(bobFingerprint), StringComparison.Ordinal);

        using var anchor = await PostFileAsync(admin, "Anchor", "anchorFile", "ca.pem", keys.CaPem);
        Assert.Equal(HttpStatusCode.Redirect, anchor.StatusCode);

        var after = new RecipientKeysAdminPage(await admin.GetPageAsync(RecipientKeysAdminPage.Path));
        Assert.Equal("Usable", after.Statuses[bobFingerprint]);
        Assert.Single(after.Anchors);

        var search = new RecipientKeysAdminPage(await admin.GetPageAsync(RecipientKeysAdminPage.Path + "?q=ALICE"));
        Assert.Equal([keys.PgpFingerprint], search.Statuses.Keys);
    }

    [Fact]
    public async Task Admin_BadFiles_AreRefusedOneByOne_AndChangeNothing()
    {
        var (tenant, admin) = await NewTenantAdminAsync();

        using var uploaded = await UploadAsync(admin,
            ("many.asc", RecipientTestKeys.KeyWithUserIds(1000)), ("junk.gpg", "not a key"u8.ToArray()), ("expired.asc", keys.PgpExpired), ("secret.asc", keys.PgpSigningSecret));

        Assert.Equal(HttpStatusCode.BadRequest, uploaded.StatusCode);
        var outcomes = new RecipientKeysAdminPage(new HtmlPage(await uploaded.Content.ReadAsStringAsync())).Outcomes;
        Assert.Equal(4, outcomes.Count);
        Assert.All(outcomes, o => Assert.False(o.Accepted));
        Assert.Contains("1,000 User IDs", outcomes[0].Text, StringComparison.Ordinal);
        Assert.Contains("unreadable file", outcomes[1].Text, StringComparison.Ordinal);
        Assert.Contains("expired", outcomes[2].Text, StringComparison.Ordinal);
        Assert.Contains("private key", outcomes[3].Text, StringComparison.Ordinal);
        Assert.Equal(0, await _host.DbAsync(db => db.ForTenant(tenant).RecipientKeys.CountAsync()));
        Assert.Equal(0, await _host.DbAsync(db => db.ForTenant(tenant).AuditEvents.CountAsync(e => e.Kind == AuditEventKind.RecipientKeyAdded)));
    }

    [Fact]
    public async Task Admin_OfAnotherTenant_CannotRemoveOrChangeTheKey()
    {
        var (owner, ownerAdmin) = await NewTenantAdminAsync();
        var (_, strangerAdmin) = await NewTenantAdminAsync();
        (await UploadAsync(ownerAdmin, ("alice.asc", keys.PgpPublic))).Dispose();

        using var removeByStranger = await strangerAdmin.PostFormAsync(RecipientKeysAdminPage.Path, new Dictionary<string, string> { ["fingerprint"] = keys.PgpFingerprint }, "Remove");
        using var formatByStranger = await strangerAdmin.PostFormAsync(RecipientKeysAdminPage.Path, new Dictionary<string, string> { ["fingerprint"] = keys.PgpFingerprint, ["format"] = "Inline" }, "Format");

        Assert.Equal(HttpStatusCode.NotFound, removeByStranger.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, formatByStranger.StatusCode);
        Assert.Empty(new RecipientKeysAdminPage(await strangerAdmin.GetPageAsync(RecipientKeysAdminPage.Path)).Statuses);
        var record = await _host.DbAsync(db => db.ForTenant(owner).RecipientKeys.SingleAsync());
        Assert.Equal(RecipientKeyRecordPgpFormat.Mime, record.PgpFormat);

        using var format = await ownerAdmin.PostFormAsync(RecipientKeysAdminPage.Path, new Dictionary<string, string> { ["fingerprint"] = keys.PgpFingerprint, ["format"] = "Inline" }, "Format");
        using var remove = await ownerAdmin.PostFormAsync(RecipientKeysAdminPage.Path, new Dictionary<string, string> { ["fingerprint"] = keys.PgpFingerprint }, "Remove");
        Assert.Equal(HttpStatusCode.Redirect, format.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, remove.StatusCode);
        Assert.Equal(0, await _host.DbAsync(db => db.ForTenant(owner).RecipientKeys.CountAsync()));
        Assert.Equal(1, await _host.DbAsync(db => db.ForTenant(owner).AuditEvents.CountAsync(e => e.Kind == AuditEventKind.RecipientKeyRemoved)));
    }

    [Fact]
    public async Task Admin_AllowingSelfSigned_MakesASelfSignedCertificateUsable()
    {
        var (tenant, admin) = await NewTenantAdminAsync();
        (await UploadAsync(admin, ("self.pem", keys.SelfSigned))).Dispose();
        var fingerprint = await _host.DbAsync(db => db.ForTenant(tenant).RecipientKeys.Select(k => k.Fingerprint).SingleAsync());
        Assert.Equal("Untrusted", new RecipientKeysAdminPage(await admin.GetPageAsync(RecipientKeysAdminPage.Path)).Statuses[fingerprint]);

        using var saved = await admin.PostFormAsync(RecipientKeysAdminPage.Path, new Dictionary<string, string> { ["allowSelfSigned"] = "true" }, "Settings");

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Equal("Usable", new RecipientKeysAdminPage(await admin.GetPageAsync(RecipientKeysAdminPage.Path)).Statuses[fingerprint]);
        Assert.Equal(1, await _host.DbAsync(db => db.ForTenant(tenant).AuditEvents.CountAsync(e => e.Kind == AuditEventKind.RecipientKeySettingsChanged)));
    }

    [Fact]
    public async Task Admin_SigningIdentities_AreSealed_LoadWithTheirKeys_AndWarnBeforeExpiry()
    {
        var (tenant, admin) = await NewTenantAdminAsync();

        using var wrongPassword = await PostSigningAsync(admin, "SMime", keys.SmimePkcs12, "wrong");
        Assert.Equal(HttpStatusCode.BadRequest, wrongPassword.StatusCode);
        Assert.Contains("does not open", await wrongPassword.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var wrongPassphrase = await PostSigningAsync(admin, "OpenPgp", keys.PgpSigningSecret, "wrong");
        Assert.Equal(HttpStatusCode.BadRequest, wrongPassphrase.StatusCode);
        Assert.Equal(0, await _host.DbAsync(db => db.ForTenant(tenant).SigningIdentities.CountAsync()));

        using var smime = await PostSigningAsync(admin, "SMime", keys.SmimePkcs12, RecipientTestKeys.Pkcs12Password);
        using var pgp = await PostSigningAsync(admin, "OpenPgp", keys.PgpSigningSecret, RecipientTestKeys.SigningPassphrase);
        Assert.Equal(HttpStatusCode.Redirect, smime.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, pgp.StatusCode);

        // The openssl certificate is valid for 30 days: the page warns; the OpenPGP key never expires.
        var page = new RecipientKeysAdminPage(await admin.GetPageAsync(RecipientKeysAdminPage.Path));
        Assert.Equal("soon", page.SigningIdentities["SMime"]);
        Assert.Equal("ok", page.SigningIdentities["OpenPgp"]);

        using var material = await _host.InScopeAsync(services => services.GetRequiredService<SigningIdentities>().LoadAsync(tenant, CancellationToken.None));
        Assert.NotNull(material);
        var certificate = material.SmimeCertificate!;
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(RecipientTestKeys.SmimeAddress, certificate.GetNameInfo(X509NameType.EmailName, false));
        using var rsa = certificate.GetRSAPrivateKey()!;
        var privateKey = rsa.ExportPkcs8PrivateKey();
        var ring = new PgpSecretKeyRing(material.OpenPgpSecretKey!);
        Assert.Equal(keys.SigningFingerprint, Convert.ToHexString(ring.GetPublicKey().GetFingerprint()));
        Assert.NotNull(ring.GetSecretKey().ExtractPrivateKey([])); // the passphrase was removed
        Assert.False(material.SignNotifications);

        // At rest the private keys are ciphertext: neither the RSA key nor the PGP secret key's bytes are in the rows.
        var rows = await _host.DbAsync(db => db.ForTenant(tenant).SigningIdentities.ToListAsync());
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.Equal(-1, row.SealedSecret.AsSpan().IndexOf(privateKey.AsSpan(0, 64))));
        Assert.All(rows, row => Assert.Equal(-1, row.SealedSecret.AsSpan().IndexOf(material.OpenPgpSecretKey.AsSpan(0, 64))));
        Assert.Equal(2, await _host.DbAsync(db => db.ForTenant(tenant).AuditEvents.CountAsync(e => e.Kind == AuditEventKind.SigningIdentitySet)));

        using var removed = await admin.PostFormAsync(RecipientKeysAdminPage.Path, new Dictionary<string, string> { ["kind"] = "SMime" }, "RemoveSigning");
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        using var rest = await _host.InScopeAsync(services => services.GetRequiredService<SigningIdentities>().LoadAsync(tenant, CancellationToken.None));
        Assert.Null(rest!.SmimeCertificate);
        Assert.NotNull(rest.OpenPgpSecretKey);
    }

    [Fact]
    public async Task NonAdmin_CannotReachTheAdminPage()
    {
        using var anonymous = AdminClient.Anonymous(_host);
        var page = await anonymous.GetPageAsync(RecipientKeysAdminPage.Path);
        Assert.NotEqual(HttpStatusCode.OK, page.Status);

        // A signed-in recipient is no admin either.
        using var recipient = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync("reader-" + Guid.NewGuid().ToString("N")[..8] + "@example.test"));
        Assert.NotEqual(HttpStatusCode.OK, (await recipient.GetPageAsync(RecipientKeysAdminPage.Path)).Status);
    }

    [Fact]
    public async Task Recipient_AddsTheirOwnKey_IsMailed_AndRemovesIt()
    {
        using var alice = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(RecipientTestKeys.PgpAddress));
        Assert.True(new OwnKeysSection(await alice.GetPageAsync("/security")).OffersUpload);

        using var added = await UploadOwnAsync(alice, keys.PgpPublic);

        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.Equal("/security?keys=added#own-keys-heading", added.Headers.Location?.OriginalString);
        var section = new OwnKeysSection(await alice.GetPageAsync("/security?keys=added"));
        Assert.Equal([keys.PgpFingerprint], section.Fingerprints);
        var record = await _host.DbAsync(db => db.RecipientKeys.SingleAsync(k => k.Fingerprint == keys.PgpFingerprint));
        Assert.Equal(RecipientKeySource.Recipient, record.Source);
        Assert.Equal(RecipientTestKeys.PgpAddress, record.Address);
        Assert.True(await _host.DbAsync(db => db.OutboundMails.AnyAsync(m => m.Kind == OutboundMailKind.RecipientKeyAdded && m.ToAddress == RecipientTestKeys.PgpAddress)));

        using var removed = await alice.PostFormAsync("/security/keys", new Dictionary<string, string> { ["fingerprint"] = keys.PgpFingerprint }, "Remove", tokenPage: "/security");
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.Empty(new OwnKeysSection(await alice.GetPageAsync("/security")).Fingerprints);
        Assert.False(await _host.DbAsync(db => db.RecipientKeys.AnyAsync(k => k.Fingerprint == keys.PgpFingerprint)));
    }

    [Fact]
    public async Task Recipient_CannotAddAKeyForAnotherAddress()
    {
        var address = "erin-" + Guid.NewGuid().ToString("N")[..8] + "@example.test";
        using var erin = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(address));

        using var refused = await UploadOwnAsync(erin, keys.PgpForSmimeAddress);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var page = new HtmlPage(await refused.Content.ReadAsStringAsync());
        Assert.Contains($"not {address}", Assert.Single(page.Alerts), StringComparison.Ordinal);
        Assert.False(await _host.DbAsync(db => db.RecipientKeys.AnyAsync(k => k.Address == address || k.Source == RecipientKeySource.Recipient && k.Address == RecipientTestKeys.SmimeAddress)));
    }

    [Fact]
    public async Task Recipient_ChoosesInline_AndAnotherRecipientCannotRemoveTheKey()
    {
        using var carol = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(RecipientTestKeys.PgpUidAddress));
        using var added = await UploadOwnAsync(carol, keys.PgpUidRevoked, inline: true);
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        var fingerprint = Assert.Single(new OwnKeysSection(await carol.GetPageAsync("/security")).Fingerprints);
        Assert.Equal(RecipientKeyRecordPgpFormat.Inline, await _host.DbAsync(db => db.RecipientKeys.Where(k => k.Fingerprint == fingerprint).Select(k => k.PgpFormat).SingleAsync()));

        var strangerAddress = "stranger-" + Guid.NewGuid().ToString("N")[..8] + "@example.test";
        using var stranger = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, await IngestAsync(strangerAddress));
        Assert.Empty(new OwnKeysSection(await stranger.GetPageAsync("/security")).Fingerprints);
        using var removeByStranger = await stranger.PostFormAsync("/security/keys", new Dictionary<string, string> { ["fingerprint"] = fingerprint }, "Remove", tokenPage: "/security");
        using var formatByStranger = await stranger.PostFormAsync("/security/keys", new Dictionary<string, string> { ["fingerprint"] = fingerprint, ["format"] = "Mime" }, "Format", tokenPage: "/security");
        Assert.Equal(HttpStatusCode.NotFound, removeByStranger.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, formatByStranger.StatusCode);

        using var back = await carol.PostFormAsync("/security/keys", new Dictionary<string, string> { ["fingerprint"] = fingerprint, ["format"] = "Mime" }, "Format", tokenPage: "/security");
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        Assert.Equal(RecipientKeyRecordPgpFormat.Mime, await _host.DbAsync(db => db.RecipientKeys.Where(k => k.Fingerprint == fingerprint).Select(k => k.PgpFormat).SingleAsync()));
    }

    [Fact]
    public async Task Anonymous_CannotPostToTheRecipientKeyPage()
    {
        var before = await _host.DbAsync(db => db.RecipientKeys.CountAsync());
        using var anonymous = _host.CreateHttpClient();
        using var content = new MultipartFormDataContent { { File(keys.PgpPublic), "keyFile", "k.asc" } };

        using var response = await anonymous.PostAsync("/security/keys?handler=Upload", content);

        Assert.False(response.IsSuccessStatusCode);
        Assert.DoesNotContain("keys=added", response.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);
        Assert.Equal(before, await _host.DbAsync(db => db.RecipientKeys.CountAsync()));
    }

    private async Task<string> IngestAsync(string address) =>
        (await _host.IngestAsync(TestMessages.WithMarkers("s", "h", "t", "a", address))).Link;

    private async Task<(Guid Tenant, AdminClient Admin)> NewTenantAdminAsync()
    {
        var slug = "rkp-" + Guid.NewGuid().ToString("N")[..10];
        var tenant = await AdminClient.CreateTenantAsync(_host, slug);
        return (tenant, await AdminClient.SignInTenantAdminAsync(_host, slug));
    }

    private static Task<HttpResponseMessage> UploadAsync(AdminClient admin, params (string Name, byte[] Bytes)[] files)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            content.Add(File(bytes), "files", name);
        }

        return admin.PostMultipartAsync(RecipientKeysAdminPage.Path + "?handler=Upload", content, RecipientKeysAdminPage.Path);
    }

    private static Task<HttpResponseMessage> PostFileAsync(AdminClient admin, string handler, string field, string name, byte[] bytes) =>
        admin.PostMultipartAsync($"{RecipientKeysAdminPage.Path}?handler={handler}", new MultipartFormDataContent { { File(bytes), field, name } }, RecipientKeysAdminPage.Path);

    private static Task<HttpResponseMessage> PostSigningAsync(AdminClient admin, string kind, byte[] bytes, string password) =>
        admin.PostMultipartAsync($"{RecipientKeysAdminPage.Path}?handler=Signing", new MultipartFormDataContent
        {
            { File(bytes), "signingFile", kind == "SMime" ? "org.p12" : "org.asc" },
            { new StringContent(kind), "kind" },
            { new StringContent(password), "Password" },
        }, RecipientKeysAdminPage.Path);

    private static Task<HttpResponseMessage> UploadOwnAsync(RecipientBrowserlessClient client, byte[] key, bool inline = false)
    {
        var content = new MultipartFormDataContent { { File(key), "keyFile", "key.asc" } };
        if (inline)
        {
            content.Add(new StringContent("true"), "inline");
        }

        return client.PostMultipartAsync("/security/keys?handler=Upload", content, "/security");
    }

    private static ByteArrayContent File(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }
}

public sealed class RecipientKeysPagesSqliteTests(RecipientKeysPagesTests.SqliteHost host, RecipientTestKeys keys)
    : RecipientKeysPagesTests(host, keys), IClassFixture<RecipientKeysPagesTests.SqliteHost>, IClassFixture<RecipientTestKeys>;
