using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Testing.Interop;
using OmePortal.Web.RecipientKeys;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Tests.RecipientKeys;

/// <summary>
/// /api/v1/recipient-keys over real HTTP with keys made by gpg and openssl: the contract, refusals with a reason
/// that change nothing, trust anchors, the directory's answer to delivery, and another tenant's key finding
/// nothing. One portal per class; each test works in a tenant of its own.
/// </summary>
public abstract class RecipientKeysApiTests(SharedPortalHost shared, RecipientTestKeys keys)
{
    private readonly PortalHost _host = shared.Host;

    public abstract class Host : SharedPortalHost;

    public sealed class SqliteHost : Host
    {
        protected override StorageKind Storage => StorageKind.Sqlite;
    }

    public sealed class PostgresHost : Host
    {
        protected override StorageKind Storage => StorageKind.Postgres;
    }

    [Fact]
    public async Task Post_GpgKey_Returns201WithContract_AuditsAndMailsTheAddress()
    {
        var (tenant, api) = await NewTenantAsync();

        using var response = await api.PostAsync("/api/v1/recipient-keys", Body(keys.PgpPublic, "application/pgp-keys"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await JsonOf(response);
        Assert.Equal(RecipientTestKeys.PgpAddress, json.GetProperty("address").GetString());
        Assert.Equal("OpenPgp", json.GetProperty("kind").GetString());
        Assert.Equal(keys.PgpFingerprint, json.GetProperty("fingerprint").GetString());
        Assert.True(json.GetProperty("usable").GetBoolean());
        Assert.Equal("Mime", json.GetProperty("pgpFormat").GetString());
        Assert.Equal($"/api/v1/recipient-keys/{keys.PgpFingerprint}", response.Headers.Location?.OriginalString);

        using var get = await api.GetAsync($"/api/v1/recipient-keys/{keys.PgpFingerprint.ToLowerInvariant()}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("Usable", (await JsonOf(get)).GetProperty("status").GetString());

        Assert.Equal(1, await _host.DbAsync(db => db.ForTenant(tenant).AuditEvents.CountAsync(e => e.Kind == AuditEventKind.RecipientKeyAdded && e.Detail!.Contains(keys.PgpFingerprint))));
        Assert.True(await _host.DbAsync(db => db.OutboundMails.AnyAsync(m => m.Kind == OutboundMailKind.RecipientKeyAdded && m.ToAddress == RecipientTestKeys.PgpAddress)));
    }

    [Fact]
    public async Task Post_SameKeyAgain_Returns200AndKeepsOneRow()
    {
        var (tenant, api) = await NewTenantAsync();
        using var first = await api.PostAsync("/api/v1/recipient-keys?format=inline", Body(keys.PgpPublicBinary, "application/pgp-keys"));
        using var again = await api.PostAsync("/api/v1/recipient-keys", Body(keys.PgpPublic, "application/pgp-keys"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("Inline", (await JsonOf(again)).GetProperty("pgpFormat").GetString());
        Assert.Equal(1, await _host.DbAsync(db => db.ForTenant(tenant).RecipientKeys.CountAsync()));
    }

    [Fact]
    public async Task Post_CertificateOfUnknownCa_IsKeptUntrusted_AndBecomesUsableWithItsTrustAnchor()
    {
        var (tenant, api) = await NewTenantAsync();

        using var created = await api.PostAsync("/api/v1/recipient-keys", Body(keys.SmimePem, "application/x-pem-file"));
        var json = await JsonOf(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.False(json.GetProperty("usable").GetBoolean());
        Assert.Equal("Untrusted", json.GetProperty("status").GetString());
        Assert.Contains("trust anchor", json.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(await FindUsableAsync(tenant, RecipientTestKeys.SmimeAddress));

        using var anchor = await api.PostAsync("/api/v1/recipient-keys/trust-anchors", Body(keys.CaPem, "application/x-pem-file"));
        Assert.Equal(HttpStatusCode.Created, anchor.StatusCode);
        var anchorFingerprint = (await JsonOf(anchor))[0].GetProperty("fingerprint").GetString()!;

        var fingerprint = json.GetProperty("fingerprint").GetString()!;
        Assert.True((await JsonOf(await api.GetAsync($"/api/v1/recipient-keys/{fingerprint}"))).GetProperty("usable").GetBoolean());
        var usable = Assert.Single(await FindUsableAsync(tenant, "BOB@example.test"));
        Assert.Equal(RecipientKeyKind.SMime, usable.Value.Kind);
        Assert.Equal(fingerprint, usable.Value.Fingerprint);
        Assert.Equal(CertificateDer(keys.SmimePem), usable.Value.PublicKey);

        // Trust is decided when asked: without the anchor the same certificate is refused for delivery again.
        using var removed = await api.DeleteAsync($"/api/v1/recipient-keys/trust-anchors/{anchorFingerprint}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Empty(await FindUsableAsync(tenant, RecipientTestKeys.SmimeAddress));
    }

    [Fact]
    public async Task Post_DerAndP7bCertificates_AreAccepted()
    {
        var (_, api) = await NewTenantAsync();
        using var der = await api.PostAsync("/api/v1/recipient-keys", Body(keys.SmimeDer, "application/pkix-cert"));
        using var p7b = await api.PostAsync("/api/v1/recipient-keys", Body(keys.SmimeP7b, "application/pkcs7-mime"));

        Assert.Equal(HttpStatusCode.Created, der.StatusCode);
        Assert.Equal(HttpStatusCode.OK, p7b.StatusCode); // the same certificate: replaced, not added twice
    }

    public static TheoryData<string, string, string> Unusable => new()
    {
        { nameof(RecipientTestKeys.PgpExpired), "application/pgp-keys", "Key expired" },
        { nameof(RecipientTestKeys.PgpRevoked), "application/pgp-keys", "Key revoked" },
        { nameof(RecipientTestKeys.PgpSignOnly), "application/pgp-keys", "No encryption key" },
        { nameof(RecipientTestKeys.SmimeExpired), "application/x-pem-file", "Key expired" },
        { nameof(RecipientTestKeys.SmimeSignOnly), "application/x-pem-file", "No encryption key" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public async Task Post_UnusableKey_Returns422WithReason_AndStoresNothing(string key, string contentType, string title)
    {
        var (tenant, api) = await NewTenantAsync();
        var file = (byte[])typeof(RecipientTestKeys).GetProperty(key)!.GetValue(keys)!;

        using var response = await api.PostAsync("/api/v1/recipient-keys", Body(file, contentType));

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains("cannot be used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertNothingStoredAsync(tenant);
    }

    [Fact]
    public async Task Post_BadInput_GetsAClearProblem_AndStoresNothing()
    {
        var (tenant, api) = await NewTenantAsync();

        var malformed = await AssertProblemAsync(await api.PostAsync("/api/v1/recipient-keys", Body("hello, not a key"u8.ToArray(), "application/pgp-keys")), HttpStatusCode.BadRequest);
        Assert.Equal("Malformed key file", malformed.GetProperty("title").GetString());

        var huge = new byte[10 * 1024 * 1024];
        Encoding.ASCII.GetBytes("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n").CopyTo(huge, 0);
        huge.AsSpan(40).Fill((byte)'A');
        var tooLarge = await AssertProblemAsync(await api.PostAsync("/api/v1/recipient-keys", Body(huge, "application/pgp-keys")), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("Key file too large", tooLarge.GetProperty("title").GetString());

        var thousand = await AssertProblemAsync(await api.PostAsync("/api/v1/recipient-keys", Body(ThousandUserIds.Value, "application/pgp-keys")), HttpStatusCode.BadRequest);
        Assert.Contains("1,000 User IDs", thousand.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var otherAddress = await AssertProblemAsync(await api.PostAsync("/api/v1/recipient-keys?address=mallory@example.test", Body(keys.SmimePem, "application/x-pem-file")), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("not mallory@example.test", otherAddress.GetProperty("detail").GetString(), StringComparison.Ordinal);

        await AssertProblemAsync(await api.PostAsync("/api/v1/recipient-keys", Body(keys.PgpPublic, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await AssertProblemAsync(await api.PostAsync("/api/v1/recipient-keys", Body(keys.PgpSigningSecret, "application/pgp-keys")), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await api.PostAsync("/api/v1/recipient-keys/trust-anchors", Body(keys.SmimePem, "application/x-pem-file")), HttpStatusCode.BadRequest);

        await AssertNothingStoredAsync(tenant);
        Assert.Equal(0, await _host.DbAsync(db => db.ForTenant(tenant).RecipientTrustAnchors.CountAsync()));
    }

    [Fact]
    public async Task Delete_RemovesTheKey_AndAuditsIt()
    {
        var (tenant, api) = await NewTenantAsync();
        (await api.PostAsync("/api/v1/recipient-keys", Body(keys.PgpPublic, "application/pgp-keys"))).Dispose();

        using var deleted = await api.DeleteAsync($"/api/v1/recipient-keys/{keys.PgpFingerprint}");
        using var gone = await api.GetAsync($"/api/v1/recipient-keys/{keys.PgpFingerprint}");
        using var again = await api.DeleteAsync($"/api/v1/recipient-keys/{keys.PgpFingerprint}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(1, await _host.DbAsync(db => db.ForTenant(tenant).AuditEvents.CountAsync(e => e.Kind == AuditEventKind.RecipientKeyRemoved)));
    }

    [Fact]
    public async Task AnotherTenantsApiKey_CannotSeeOrDeleteTheKeys()
    {
        var (owner, ownerApi) = await NewTenantAsync();
        var (stranger, strangerApi) = await NewTenantAsync();
        (await ownerApi.PostAsync("/api/v1/recipient-keys", Body(keys.PgpPublic, "application/pgp-keys"))).Dispose();
        using var anchor = await ownerApi.PostAsync("/api/v1/recipient-keys/trust-anchors", Body(keys.CaPem, "application/x-pem-file"));
        var anchorFingerprint = (await JsonOf(anchor))[0].GetProperty("fingerprint").GetString()!;

        Assert.Equal(HttpStatusCode.NotFound, (await strangerApi.GetAsync($"/api/v1/recipient-keys/{keys.PgpFingerprint}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await strangerApi.DeleteAsync($"/api/v1/recipient-keys/{keys.PgpFingerprint}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await strangerApi.DeleteAsync($"/api/v1/recipient-keys/trust-anchors/{anchorFingerprint}")).StatusCode);
        Assert.Equal(0, (await JsonOf(await strangerApi.GetAsync("/api/v1/recipient-keys"))).GetArrayLength());
        Assert.Equal(0, (await JsonOf(await strangerApi.GetAsync("/api/v1/recipient-keys/trust-anchors"))).GetArrayLength());
        Assert.Empty(await FindUsableAsync(stranger, RecipientTestKeys.PgpAddress));

        Assert.Equal(1, (await JsonOf(await ownerApi.GetAsync("/api/v1/recipient-keys"))).GetArrayLength());
        Assert.Single(await FindUsableAsync(owner, RecipientTestKeys.PgpAddress));
    }

    [Fact]
    public async Task WithoutApiKey_Returns401()
    {
        using var anonymous = _host.CreateHttpClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/recipient-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/v1/recipient-keys", Body(keys.PgpPublic, "application/pgp-keys"))).StatusCode);
    }

    [Fact]
    public async Task FindUsable_AnswersOnlyAddressesWithAUsableKey()
    {
        var (tenant, _) = await NewTenantAsync();
        await ImportAsync(tenant, keys.PgpUidRevoked, RecipientTestKeys.PgpUidAddress, RecipientKeySource.Admin);

        var found = await FindUsableAsync(tenant, RecipientTestKeys.PgpUidAddress, RecipientTestKeys.PgpRevokedUidAddress, "nobody@example.test");

        var only = Assert.Single(found);
        Assert.Equal(RecipientTestKeys.PgpUidAddress, only.Key);
        Assert.Equal(RecipientKeyKind.OpenPgp, only.Value.Kind);
        Assert.Equal(PgpFormat.Mime, only.Value.PgpFormat);
    }

    [Fact]
    public async Task FindUsable_WithTwoKeys_PrefersSMime_UnlessTheRecipientAddedTheirOwn()
    {
        var (tenant, _) = await NewTenantAsync();
        await _host.InScopeAsync(services => services.GetRequiredService<RecipientTrustAnchors>().AddAsync(tenant, keys.CaPem, "test", CancellationToken.None));
        await ImportAsync(tenant, keys.PgpForSmimeAddress, RecipientTestKeys.SmimeAddress, RecipientKeySource.Admin);
        await ImportAsync(tenant, keys.SmimePem, RecipientTestKeys.SmimeAddress, RecipientKeySource.Api);

        Assert.Equal(RecipientKeyKind.SMime, (await FindUsableAsync(tenant, RecipientTestKeys.SmimeAddress))[RecipientTestKeys.SmimeAddress].Kind);

        await ImportAsync(tenant, keys.PgpForSmimeAddress, RecipientTestKeys.SmimeAddress, RecipientKeySource.Recipient);

        Assert.Equal(RecipientKeyKind.OpenPgp, (await FindUsableAsync(tenant, RecipientTestKeys.SmimeAddress))[RecipientTestKeys.SmimeAddress].Kind);
    }

    private Task ImportAsync(Guid tenant, byte[] file, string address, RecipientKeySource source) =>
        _host.InScopeAsync(async services => Assert.IsType<KeyImportResult.Imported>(await services.GetRequiredService<RecipientKeyDirectory>()
            .ImportAsync(tenant, file, new KeyImportRequest(address, source, "test"), CancellationToken.None)));

    private static readonly Lazy<byte[]> ThousandUserIds = new(() => RecipientTestKeys.KeyWithUserIds(1000));

    private async Task<(Guid Tenant, HttpClient Api)> NewTenantAsync()
    {
        var slug = "rk-" + Guid.NewGuid().ToString("N")[..10];
        var tenant = await AdminClient.CreateTenantAsync(_host, slug);
        var key = ApiKeys.NewKey();
        await _host.InScopeAsync(async services =>
        {
            services.GetRequiredService<ApiKeys>().Add(tenant, "recipient keys test", key);
            await services.GetRequiredService<OmePortalDbContext>().SaveChangesAsync();
        });
        return (tenant, _host.CreateApiClient(key));
    }

    private Task<IReadOnlyDictionary<string, UsableRecipientKey>> FindUsableAsync(Guid tenant, params string[] addresses) =>
        _host.InScopeAsync(services => services.GetRequiredService<RecipientKeyDirectory>().FindUsableAsync(tenant, addresses, CancellationToken.None));

    private async Task AssertNothingStoredAsync(Guid tenant)
    {
        Assert.Equal(0, await _host.DbAsync(db => db.ForTenant(tenant).RecipientKeys.CountAsync()));
        Assert.Equal(0, await _host.DbAsync(db => db.ForTenant(tenant).AuditEvents.CountAsync(e => e.Kind == AuditEventKind.RecipientKeyAdded)));
    }

    private static byte[] CertificateDer(byte[] pem) =>
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(pem)).RawData;

    private static ByteArrayContent Body(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await JsonOf(response);
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
            return problem;
        }
    }
}

public sealed class RecipientKeysApiSqliteTests(RecipientKeysApiTests.SqliteHost host, RecipientTestKeys keys)
    : RecipientKeysApiTests(host, keys), IClassFixture<RecipientKeysApiTests.SqliteHost>, IClassFixture<RecipientTestKeys>;

public sealed class RecipientKeysApiPostgresTests(RecipientKeysApiTests.PostgresHost host, RecipientTestKeys keys)
    : RecipientKeysApiTests(host, keys), IClassFixture<RecipientKeysApiTests.PostgresHost>, IClassFixture<RecipientTestKeys>;
