using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Web.Tenancy;
using OmePortal.Testing;

namespace OmePortal.Web.Tests.Intake;

/// <summary>POST /api/v1/messages over real HTTP on loopback: every status code of the contract.</summary>
public abstract class RestIntakeTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() => _host = await new PortalHost(Storage).StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static ByteArrayContent Rfc822(byte[] bytes, string contentType = "message/rfc822")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static byte[] Sample(string name) => File.ReadAllBytes(TestEnvironment.SamplePath(name));

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonOf(response);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
    }

    [Fact]
    public async Task Post_Sample_Returns201WithContract()
    {
        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Sample("03-forwarded-rfc822-cc.eml")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await JsonOf(response);
        var id = json.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/messages/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("EncryptOnly", json.GetProperty("protection").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("expiresAt").ValueKind);
        var recipients = json.GetProperty("recipients").EnumerateArray().ToList();
        Assert.True(recipients.Count >= 2);
        foreach (var recipient in recipients)
        {
            var link = recipient.GetProperty("link").GetString()!;
            Assert.StartsWith(_host.BaseUrl + "/m/", link, StringComparison.Ordinal);
            var token = link[(_host.BaseUrl.Length + 3)..];
            Assert.Matches("^[A-Za-z0-9_-]{43}$", token); // 256 bits, base64url

            // Only the SHA-256 of the token is stored.
            await using var scope = _host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var hash = SHA256.HashData(Encoding.ASCII.GetBytes(token));
            var row = await db.Recipients.SingleAsync(r => r.TokenHash == hash);
            Assert.Equal(recipient.GetProperty("address").GetString(), row.Address);
            Assert.Equal(id, row.MessageId);
        }
    }

    [Fact]
    public async Task Post_BccRecipient_IsARecipient()
    {
        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Sample("07-bcc-recipient.eml")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await JsonOf(response);
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var id = json.GetProperty("id").GetGuid();
        var kinds = await db.Recipients.Where(r => r.MessageId == id).Select(r => r.Kind).ToListAsync();
        Assert.Contains(OmePortal.Core.Mime.RecipientKind.Bcc, kinds);
        Assert.Equal(kinds.Count, json.GetProperty("recipients").GetArrayLength());
    }

    [Fact]
    public async Task Post_WithoutKey_Returns401Problem()
    {
        using var client = _host.CreateHttpClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Sample("02-plain-latin9-card-number.eml")));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("omp_this-key-does-not-exist-anywhere-0000000000")]
    [InlineData("not-even-shaped-like-a-key")]
    public async Task Post_WrongKey_Returns401Problem(string key)
    {
        using var client = _host.CreateApiClient(key);
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Sample("02-plain-latin9-card-number.eml")));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(0, await CountMessagesAsync());
    }

    [Fact]
    public async Task Post_RevokedKey_Returns401Problem()
    {
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            await db.ApiKeys.ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UtcNow));
        }

        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Sample("02-plain-latin9-card-number.eml")));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("message/rfc822x")]
    public async Task Post_WrongContentType_Returns415Problem(string contentType)
    {
        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Sample("02-plain-latin9-card-number.eml"), contentType));
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Post_NoContentType_Returns415Problem()
    {
        using var client = _host.CreateApiClient();
        var content = new ByteArrayContent(Sample("02-plain-latin9-card-number.eml"));
        using var response = await client.PostAsync("/api/v1/messages", content);
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("{\"subject\":\"hello\",\"to\":\"a@example.nl\"}", "Not a message")]
    [InlineData("", "Not a message")]
    [InlineData("From: a@contoso.test\r\nSubject: nobody to send to\r\n\r\nbody\r\n", "No recipients")]
    [InlineData("From: a@contoso.test\r\nTo: not an address at all\r\nSubject: x\r\n\r\nbody\r\n", "No recipients")]
    public async Task Post_BadMessage_Returns400Problem(string body, string title)
    {
        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Encoding.UTF8.GetBytes(body)));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var problem = await JsonOf(response);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal(0, await CountMessagesAsync());
    }

    [Fact]
    public async Task Post_BinaryGarbage_Returns400Problem()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(garbage));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountMessagesAsync());
    }

    [Fact]
    public async Task Post_OverTenantLimit_Returns413Problem()
    {
        await SetTenantLimitAsync(2000);
        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages", Rfc822(Sample("01-dutch-policy-inline-logo-pdf.eml")));
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await CountMessagesAsync());
    }

    [Fact]
    public async Task Post_OverTenantLimitChunked_Returns413Problem()
    {
        await SetTenantLimitAsync(2000);
        using var client = _host.CreateApiClient();
        // No Content-Length: the limit must be enforced while reading.
        var content = new StreamContent(new MemoryStream(Sample("01-dutch-policy-inline-logo-pdf.eml")));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("message/rfc822");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messages") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await CountMessagesAsync());
    }

    [Fact]
    public async Task Post_OverDefault30MB_Returns413AndUnder_Returns201()
    {
        using var client = _host.CreateApiClient();
        var limit = 30L * 1024 * 1024;
        var header = "From: a@contoso.test\r\nTo: b@example.nl\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"u8.ToArray();
        byte[] Message(long size)
        {
            var bytes = new byte[size];
            header.CopyTo(bytes, 0);
            for (var i = header.Length; i < size; i++)
            {
                bytes[i] = (i % 78) == 77 ? (byte)'\n' : (byte)'x';
            }

            return bytes;
        }

        // A well-behaved client of a large upload asks first (Expect: 100-continue); the portal
        // refuses from Content-Length before a byte of the body is sent.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messages") { Content = Rfc822(Message(limit + 1)) })
        using (var over = await SendExpectingContinueAsync(client, request))
        {
            await AssertProblemAsync(over, HttpStatusCode.RequestEntityTooLarge);
        }

        using var under = await client.PostAsync("/api/v1/messages", Rfc822(Message(limit - 1024)));
        Assert.Equal(HttpStatusCode.Created, under.StatusCode);
    }

    [Fact]
    public async Task Post_QueryOptions_AreApplied()
    {
        using var client = _host.CreateApiClient();
        var before = DateTimeOffset.UtcNow;
        using var response = await client.PostAsync("/api/v1/messages?protection=DoNotForward&expiresInDays=7&template=Default", Rfc822(Sample("02-plain-latin9-card-number.eml")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await JsonOf(response);
        Assert.Equal("DoNotForward", json.GetProperty("protection").GetString());
        var expires = json.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expires, before.AddDays(7).AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(7).AddMinutes(1));
    }

    [Theory]
    [InlineData("protection=Bogus")]
    [InlineData("protection=1")]
    [InlineData("expiresInDays=731")]
    [InlineData("expiresInDays=-1")]
    [InlineData("expiresInDays=soon")]
    [InlineData("template=NoSuchTemplate")]
    public async Task Post_InvalidQuery_Returns400Problem(string query)
    {
        using var client = _host.CreateApiClient();
        using var response = await client.PostAsync("/api/v1/messages?" + query, Rfc822(Sample("02-plain-latin9-card-number.eml")));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountMessagesAsync());
    }

    [Fact]
    public async Task Get_OtherTenantsMessage_Returns404()
    {
        using var client = _host.CreateApiClient();
        using var created = await client.PostAsync("/api/v1/messages", Rfc822(Sample("02-plain-latin9-card-number.eml")));
        var id = (await JsonOf(created)).GetProperty("id").GetGuid();

        using (var own = await client.GetAsync($"/api/v1/messages/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            Assert.Equal(id, (await JsonOf(own)).GetProperty("id").GetGuid());
        }

        var strangerKey = await CreateSecondTenantAsync();
        using var stranger = _host.CreateApiClient(strangerKey);
        using var response = await stranger.GetAsync($"/api/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static Task<HttpResponseMessage> SendExpectingContinueAsync(HttpClient client, HttpRequestMessage request)
    {
        request.Headers.ExpectContinue = true;
        return client.SendAsync(request);
    }

    [Fact]
    public async Task Post_WhenBlobStorageFails_Answers5xxAndCommitsNothing()
    {
        await _host.BreakBlobStoreAsync();
        try
        {
            using var client = _host.CreateApiClient();
            using var failed = await client.PostAsync("/api/v1/messages", Rfc822(Sample("03-forwarded-rfc822-cc.eml")));
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal(0, await CountMessagesAsync());
        }
        finally
        {
            await _host.RestoreBlobStoreAsync();
        }

        // Storage back: the same request is stored, and its row points at blobs that exist.
        using var retry = _host.CreateApiClient();
        using var response = await retry.PostAsync("/api/v1/messages", Rfc822(Sample("03-forwarded-rfc822-cc.eml")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var row = await _host.DbAsync(db => db.Messages.AsNoTracking().SingleAsync());
        Assert.True(await _host.BlobExistsAsync(row.ContentBlob));
        Assert.True(await _host.BlobExistsAsync(row.RenderBlob));
    }

    private async Task<string> CreateSecondTenantAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var tenant = new Tenant { Id = Guid.NewGuid(), Slug = "other", Name = "Other", MaxMessageBytes = 1 << 20, CreatedAt = DateTimeOffset.UtcNow };
        db.Tenants.Add(tenant);
        var key = ApiKeys.NewKey();
        scope.ServiceProvider.GetRequiredService<ApiKeys>().Add(tenant.Id, "other", key);
        await db.SaveChangesAsync();
        return key;
    }

    private async Task SetTenantLimitAsync(long bytes)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        await db.Tenants.ExecuteUpdateAsync(s => s.SetProperty(t => t.MaxMessageBytes, bytes));
    }

    private async Task<int> CountMessagesAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OmePortalDbContext>().Messages.CountAsync();
    }
}

public sealed class RestIntakeSqliteTests : RestIntakeTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class RestIntakePostgresTests : RestIntakeTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

public sealed class RestIntakePostgresAzureBlobTests : RestIntakeTests
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}
