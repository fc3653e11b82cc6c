using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Branding;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Revocation;
using OmePortal.Web.Vault;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;
using static OmePortal.Web.Tests.Revocation.RevocationTestSupport;

namespace OmePortal.Web.Tests.Revocation;

/// <summary>
/// Revocation and expiry over real HTTP: who is refused where, what the sweeper shreds and when, and
/// that shredding is final. The clock is manual and the background sweeper is off, so each test
/// sweeps at the moment it chooses.
/// </summary>
public abstract class RevocationTests : IAsyncLifetime
{
    private const string Ann = "ann@example.nl";
    private const string Ben = "ben@example.nl";

    private readonly ManualTimeProvider _clock = new();
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() =>
        _host = await new PortalHost(Storage, Settings()) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(_clock) }.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Every way into a message for a signed-in reader, with the inline image and attachment URLs taken while it was readable.</summary>
    private static async Task<string[]> ReaderPathsAsync(RecipientBrowserlessClient reader, Guid id)
    {
        // Paths after the page: the reply form's token is taken while the message is readable.
        var token = await reader.AntiforgeryTokenAsync($"/messages/{id}/reply?mode=reply");
        var (status, page, _) = await GetAsync(reader.Http, $"/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        var pdf = AttachmentIndex(page, id, PolicyPdf);
        var (_, frame, _) = await GetAsync(reader.Http, $"/messages/{id}/body");
        var logo = Assert.Single(InlineUrls(frame, id));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader.Http, logo)).Status);
        return [$"/messages/{id}", $"/messages/{id}/body", logo, $"/messages/{id}/attachments/{pdf}", $"/messages/{id}/reply?mode=reply", $"/messages/{id}/reply?mode=forward", token];
    }

    private static async Task AssertRefusedEverywhereAsync(RecipientBrowserlessClient reader, Guid id, string[] paths, string title)
    {
        var token = paths[^1];
        paths = paths[..^1];
        foreach (var path in paths)
        {
            var (status, body, response) = await GetAsync(reader.Http, path);
            AssertNotOk(status, path);
            Assert.DoesNotContain("Polisblad", WebUtility.HtmlDecode(body), StringComparison.Ordinal);
            Assert.Null(response.Content.Headers.ContentDisposition);
        }

        var (pageStatus, page, _) = await GetAsync(reader.Http, $"/messages/{id}");
        Assert.Equal(HttpStatusCode.Gone, pageStatus);
        Assert.Contains(title, page, StringComparison.Ordinal);
        Assert.Contains("polis@contoso.test", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync(reader.Http, paths[3])).Status);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync(reader.Http, paths[4])).Status);

        // A reply form loaded before the revocation: its POST is refused too.
        var form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { new StringContent("after revocation"), "Body" } };
        using var post = await reader.Http.PostAsync($"/messages/{id}/reply?mode=reply", form);
        Assert.Equal(HttpStatusCode.Gone, post.StatusCode);
    }

    [Fact]
    public async Task RevokeOne_ThatRecipientIsRefusedEverywhere_TheOtherStillReads()
    {
        var message = await IngestAsync(_host, PolicyTo(Ann, Ben));
        using var ann = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[Ann]);
        using var ben = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[Ben]);
        var annPaths = await ReaderPathsAsync(ann, message.Id);
        var benPaths = await ReaderPathsAsync(ben, message.Id);
        var annId = await RecipientIdAsync(_host, message.Id, Ann);

        // A notification still waiting for Ann (e.g. a retry) is cancelled with her access.
        await DbAsync(_host, db => db.OutboundMails.Where(o => o.RecipientId == annId)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.Status, OutboundMailStatus.Pending).SetProperty(o => o.NextAttemptAt, DateTimeOffset.UtcNow.AddDays(1))));

        var result = Assert.IsType<RevocationResult.Done>(await RevokeAsync(_host, message.Id, annId));

        Assert.Equal(1, result.RevokedRecipients);
        Assert.False(result.Shredded);
        await AssertRefusedEverywhereAsync(ann, message.Id, annPaths, "This message has been withdrawn");
        foreach (var path in benPaths[..4])
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(ben.Http, path)).Status);
        }

        using var anonymous = _host.CreateHttpClient();
        var (linkStatus, linkPage, _) = await GetAsync(anonymous, new Uri(message.Links[Ann]).PathAndQuery);
        Assert.Equal(HttpStatusCode.Gone, linkStatus);
        Assert.Contains("polis@contoso.test", linkPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(anonymous, new Uri(message.Links[Ben]).PathAndQuery)).Status);

        Assert.All(await DbAsync(_host, db => db.OutboundMails.Where(o => o.RecipientId == annId).ToListAsync()), o => Assert.Equal(OutboundMailStatus.Cancelled, o.Status));
        var revoked = Assert.Single(await AuditAsync(_host, message.Id), e => e.Kind == AuditEventKind.MessageRevoked);
        Assert.Equal((annId, "admin@contoso.test", "recipient"), (revoked.RecipientId!.Value, revoked.Actor, revoked.Detail!));
        Assert.NotNull((await MessageAsync(_host, message.Id)).WrappedKey);

        // Revoking again changes nothing and records nothing.
        Assert.Equal(0, Assert.IsType<RevocationResult.Done>(await RevokeAsync(_host, message.Id, annId)).RevokedRecipients);
        Assert.Single(await AuditAsync(_host, message.Id), e => e.Kind == AuditEventKind.MessageRevoked);
    }

    [Fact]
    public async Task RevokeAll_EveryoneIsRefused_AndTheKeyAndBlobsAreDestroyedAtOnce()
    {
        var message = await IngestAsync(_host, PolicyTo(Ann, Ben));
        using var ann = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Links[Ann]);
        var annPaths = await ReaderPathsAsync(ann, message.Id);
        var before = await MessageAsync(_host, message.Id);
        Assert.True(KeyKeptInMemory(_host, before));

        var result = Assert.IsType<RevocationResult.Done>(await RevokeAsync(_host, message.Id, null));
        Assert.False(KeyKeptInMemory(_host, before));

        Assert.Equal((2, true), (result.RevokedRecipients, result.Shredded));
        await AssertRefusedEverywhereAsync(ann, message.Id, annPaths, "This message has been withdrawn");
        using var anonymous = _host.CreateHttpClient();
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync(anonymous, new Uri(message.Links[Ben]).PathAndQuery)).Status);
        var after = await MessageAsync(_host, message.Id);
        Assert.Null(after.WrappedKey);
        Assert.Equal(_clock.GetUtcNow(), after.ShreddedAt);
        Assert.False(await BlobExistsAsync(_host, before.ContentBlob));
        Assert.False(await BlobExistsAsync(_host, before.RenderBlob));
        var kinds = (await AuditAsync(_host, message.Id)).Select(e => e.Kind).ToList();
        Assert.Equal(2, kinds.Count(k => k == AuditEventKind.MessageRevoked));
        Assert.Single(kinds, AuditEventKind.MessageShredded);
    }

    [Fact]
    public async Task Revoke_UnknownOrOtherMessagesRecipient_IsNotFound()
    {
        var a = await IngestAsync(_host, PolicyTo(Ann));
        var b = await IngestAsync(_host, PolicyTo(Ben));
        var benOfB = await RecipientIdAsync(_host, b.Id, Ben);

        Assert.IsType<RevocationResult.NotFound>(await RevokeAsync(_host, a.Id, benOfB));
        var tenant = (await MessageAsync(_host, a.Id)).TenantId;
        Assert.IsType<RevocationResult.NotFound>(await WithScopeAsync(_host, sp =>
            sp.GetRequiredService<MessageRevocation>().RevokeAsync(tenant, Guid.NewGuid(), null, "x", CancellationToken.None)));
        Assert.IsType<RevocationResult.NotFound>(await WithScopeAsync(_host, sp =>
            sp.GetRequiredService<MessageRevocation>().RevokeAsync(Guid.NewGuid(), a.Id, null, "x", CancellationToken.None)));
        Assert.Equal(0, await DbAsync(_host, db => db.Recipients.CountAsync(r => r.RevokedAt != null)));
    }

    [Fact]
    public async Task Sweeper_ShredsAnExpiredMessage_OnlyOnceItHasExpired()
    {
        var message = await IngestAsync(_host, PolicyTo(Ann), "?expiresInDays=2");
        var record = await MessageAsync(_host, message.Id);
        Assert.Equal(_clock.GetUtcNow().AddDays(2), record.ExpiresAt);
        using var ann = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var paths = await ReaderPathsAsync(ann, message.Id);

        _clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1));
        Assert.Equal(0, await SweepAsync(_host));
        Assert.NotNull((await MessageAsync(_host, message.Id)).WrappedKey);
        Assert.True(await BlobExistsAsync(_host, record.ContentBlob));

        // A backup taken before expiry, to prove it is useless afterwards.
        var backup = await _host.ReadBlobAsync(record.ContentBlob);
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await SweepAsync(_host));
        Assert.Equal(0, await SweepAsync(_host));

        var after = await MessageAsync(_host, message.Id);
        Assert.Null(after.WrappedKey);
        Assert.False(await BlobExistsAsync(_host, record.ContentBlob));
        Assert.False(await BlobExistsAsync(_host, record.RenderBlob));
        var events = (await AuditAsync(_host, message.Id)).Where(e => e.Kind is AuditEventKind.MessageExpired or AuditEventKind.MessageShredded).ToList();
        Assert.Equal([AuditEventKind.MessageExpired, AuditEventKind.MessageShredded], events.Select(e => e.Kind));
        Assert.Equal("expired", events[1].Detail);

        // With the database and the master key, the vault still has no key for it, and no tenant key version opens the backup.
        await WithScopeAsync(_host, async sp =>
        {
            var db = sp.GetRequiredService<OmePortalDbContext>();
            Assert.IsType<MessageKeyResult.Shredded>(await sp.GetRequiredService<MessageVault>().OpenKeyAsync(db, after, CancellationToken.None));
            return 0;
        });
        Assert.DoesNotContain(Convert.ToHexString(record.WrappedKey!), await DatabaseDumpAsync(), StringComparison.Ordinal);
        Assert.NotEmpty(backup);

        // Two days on, the old session has timed out: the recipient signs in again from the inbox side.
        using var again = await RecipientBrowserlessClient.SignInWithAddressAsync(_host, Ann);
        var (status, page, _) = await GetAsync(again.Http, paths[0]);
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Contains("This message has expired", page, StringComparison.Ordinal);
        foreach (var path in paths[..^1])
        {
            AssertNotOk((await GetAsync(again.Http, path)).Status, path);
        }
    }

    [Fact]
    public async Task Sweeper_LeavesAPartlyRevokedMessage_AndShredsWhenTheLastRecipientIsRevoked()
    {
        var message = await IngestAsync(_host, PolicyTo(Ann, Ben));
        var record = await MessageAsync(_host, message.Id);
        await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == message.Id && r.Address == Ann)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));

        Assert.Equal(0, await SweepAsync(_host));
        Assert.NotNull((await MessageAsync(_host, message.Id)).WrappedKey);

        // Revoked behind the service's back (as an older version or a manual fix would): the sweeper still finds it.
        await DbAsync(_host, db => db.Recipients.Where(r => r.MessageId == message.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, DateTimeOffset.UtcNow)));
        Assert.Equal(1, await SweepAsync(_host));

        Assert.Null((await MessageAsync(_host, message.Id)).WrappedKey);
        Assert.False(await BlobExistsAsync(_host, record.ContentBlob));
        var shredded = Assert.Single(await AuditAsync(_host, message.Id), e => e.Kind == AuditEventKind.MessageShredded);
        Assert.Equal("revoked", shredded.Detail);
        Assert.DoesNotContain(await AuditAsync(_host, message.Id), e => e.Kind == AuditEventKind.MessageExpired);
    }

    [Fact]
    public async Task Shredding_FromTwoInstancesAtOnce_HappensAndIsRecordedOnce()
    {
        var messages = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            messages.Add((await IngestAsync(_host, PolicyTo(Ann), "?expiresInDays=1")).Id);
        }

        _clock.Advance(TimeSpan.FromDays(2));

        // Two sweeps with their own scopes and connections, as two portal nodes would run them.
        var sweeps = await Task.WhenAll(SweepAsync(_host), SweepAsync(_host));

        Assert.Equal(3, sweeps.Sum());
        foreach (var id in messages)
        {
            Assert.Null((await MessageAsync(_host, id)).WrappedKey);
            var kinds = (await AuditAsync(_host, id)).Select(e => e.Kind).ToList();
            Assert.Single(kinds, AuditEventKind.MessageShredded);
            Assert.Single(kinds, AuditEventKind.MessageExpired);
        }
    }

    [Fact]
    public async Task Sweeper_AfterACrashBetweenBlobsAndKey_FinishesTheJob()
    {
        var message = await IngestAsync(_host, PolicyTo(Ann), "?expiresInDays=1");
        var record = await MessageAsync(_host, message.Id);
        _clock.Advance(TimeSpan.FromDays(1));

        // What a crash right after the blob deletion leaves: no blobs, the key still there.
        await _host.DeleteBlobAsync(record.ContentBlob);
        await _host.DeleteBlobAsync(record.RenderBlob);
        using var ann = await RecipientBrowserlessClient.SignInWithAddressAsync(_host, Ann);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync(ann.Http, $"/messages/{message.Id}")).Status);

        Assert.Equal(1, await SweepAsync(_host));
        Assert.Null((await MessageAsync(_host, message.Id)).WrappedKey);
        Assert.Single(await AuditAsync(_host, message.Id), e => e.Kind == AuditEventKind.MessageShredded);
    }

    [Fact]
    public async Task Expiry_ComesFromTheTemplate_UnlessTheApiSaysOtherwise()
    {
        await DbAsync(_host, async db =>
        {
            var template = await db.BrandTemplates.SingleAsync(t => t.IsDefault);
            template.Json = BrandSerializer.ToJson(BrandSerializer.FromJson(template.Json, null) with { ExpiryDays = 7 });
            return await db.SaveChangesAsync();
        });
        var now = _clock.GetUtcNow();

        var fromTemplate = await IngestAsync(_host, PolicyTo(Ann));
        var fromApi = await IngestAsync(_host, PolicyTo(Ann), "?expiresInDays=30");
        var never = await IngestAsync(_host, PolicyTo(Ann), "?expiresInDays=0");

        Assert.Equal(now.AddDays(7), (await MessageAsync(_host, fromTemplate.Id)).ExpiresAt);
        Assert.Equal(now.AddDays(30), (await MessageAsync(_host, fromApi.Id)).ExpiresAt);
        Assert.Null((await MessageAsync(_host, never.Id)).ExpiresAt);

        _clock.Advance(TimeSpan.FromDays(8));
        Assert.Equal(1, await SweepAsync(_host));
        Assert.Null((await MessageAsync(_host, fromTemplate.Id)).WrappedKey);
        Assert.NotNull((await MessageAsync(_host, fromApi.Id)).WrappedKey);
        Assert.NotNull((await MessageAsync(_host, never.Id)).WrappedKey);
    }

    /// <summary>The message table as hex, the way a database dump would carry the wrapped keys.</summary>
    private Task<string> DatabaseDumpAsync() =>
        DbAsync(_host, async db => string.Join('\n', (await db.Messages.AsNoTracking().Select(m => m.WrappedKey).ToListAsync())
            .Where(k => k != null).Select(k => Convert.ToHexString(k!))));
}

public sealed class RevocationSqliteTests : RevocationTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class RevocationPostgresTests : RevocationTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

public sealed class RevocationPostgresAzureBlobTests : RevocationTests
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}
