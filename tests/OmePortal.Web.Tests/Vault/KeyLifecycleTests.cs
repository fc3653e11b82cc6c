using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using OmePortal.Core.Mime;
using OmePortal.Core.Vault;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Vault;

namespace OmePortal.Web.Tests.Vault;

/// <summary>Tenant key rotation with re-wrap and retirement, and crypto-shredding, on a running portal.</summary>
public abstract class KeyLifecycleTests : IAsyncLifetime
{
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    // The periodic re-wrap pass would race the test's own rotation (its first pass can come just after
    // it); the test runs the re-wrap itself, when it means to.
    public async Task InitializeAsync() => _host = await new PortalHost(Storage)
    {
        ServiceOverrides = s => s.Remove(s.Single(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService) && d.ImplementationType == typeof(KeyRewrapService))),
    }.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Rotate_ThenRewrap_OldAndNewMessagesStayReadable_AndOldVersionIsRetired()
    {
        var before = new List<(Guid Id, string Subject)>();
        for (var i = 0; i < 3; i++)
        {
            before.Add(await IngestAsync($"before rotation {i}"));
        }

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var tenant = await db.Tenants.SingleAsync();
            var version = await scope.ServiceProvider.GetRequiredService<TenantKeyRing>().RotateAsync(db, tenant.Id, CancellationToken.None);
            Assert.Equal(2, version);
        }

        var after = await IngestAsync("after rotation");
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            Assert.Equal(2, (await db.Messages.SingleAsync(m => m.Id == after.Id)).KeyVersion);
            Assert.All(await db.Messages.Where(m => m.Id != after.Id).ToListAsync(), m => Assert.Equal(1, m.KeyVersion));

            // Before the re-wrap: both versions in use, everything readable.
            foreach (var (id, subject) in before.Append(after))
            {
                Assert.Equal(subject, await ReadSubjectAsync(scope.ServiceProvider, id));
            }
        }

        var rewrapped = await OmePortal.Web.Vault.KeyRewrapService.RewrapAllAsync(_host.Services.GetRequiredService<IServiceScopeFactory>(), CancellationToken.None);
        Assert.Equal(3, rewrapped);

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            Assert.All(await db.Messages.ToListAsync(), m => Assert.Equal(2, m.KeyVersion));
            var versions = await db.TenantKeys.OrderBy(k => k.Version).ToListAsync();
            Assert.Null(versions[0].WrappedKey);
            Assert.NotNull(versions[0].RetiredAt);
            Assert.True(versions[1].IsActive);
            foreach (var (id, subject) in before.Append(after))
            {
                Assert.Equal(subject, await ReadSubjectAsync(scope.ServiceProvider, id));
            }
        }
    }

    [Fact]
    public async Task Shred_MakesContentUnreadable_WithAClearResult_AndTheLinkSaysRevoked()
    {
        var (id, _) = await IngestAsync("to be shredded");
        string link;
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            var vault = scope.ServiceProvider.GetRequiredService<MessageVault>();
            var memo = _host.Services.GetRequiredService<MessageKeyMemo>();
            var live = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == id);
            var opened = Assert.IsType<MessageKeyResult.Available>(await vault.OpenKeyAsync(db, live, CancellationToken.None));
            Assert.True(memo.TryCopy(id, live.KeyVersion, live.WrappedKey, out var kept));
            kept.Dispose();

            await vault.ShredAsync(db, id, CancellationToken.None);

            Assert.False(memo.TryCopy(id, live.KeyVersion, live.WrappedKey, out _));

            // Another instance's memo is never told: the row read per request still decides.
            memo.Remember(id, live.KeyVersion, live.WrappedKey, opened.Key);
            opened.Key.Dispose();
            var message = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == id);
            Assert.Null(message.WrappedKey);
            Assert.NotNull(message.ShreddedAt);
            var result = await vault.OpenBlobAsync(db, message, BlobPurpose.Content, CancellationToken.None);
            var shredded = Assert.IsType<VaultReadResult.Shredded>(result);
            Assert.Equal(message.ShreddedAt, shredded.ShreddedAt);
            Assert.IsType<MessageKeyResult.Shredded>(await vault.OpenKeyAsync(db, message, CancellationToken.None));
            Assert.False(File.Exists(Path.Combine(_host.BlobDirectory, message.ContentBlob)));
            link = _lastLinks[0];
        }

        using var client = _host.CreateHttpClient();
        using var response = await client.GetAsync(new Uri(link));
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
    }

    [Fact]
    public async Task CiphertextOfAnotherMessage_IsRefused()
    {
        var (first, _) = await IngestAsync("first");
        var (second, _) = await IngestAsync("second");
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
        var a = await db.Messages.SingleAsync(m => m.Id == first);
        var b = await db.Messages.SingleAsync(m => m.Id == second);

        // Point message A at B's content blob: its key and context do not match that ciphertext.
        a.ContentBlob = b.ContentBlob;
        var opened = Assert.IsType<VaultReadResult.Opened>(await scope.ServiceProvider.GetRequiredService<MessageVault>().OpenBlobAsync(db, a, BlobPurpose.Content, CancellationToken.None));
        await using var stream = opened.Plaintext;
        await Assert.ThrowsAsync<VaultIntegrityException>(() => stream.CopyToAsync(Stream.Null));
    }

    private List<string> _lastLinks = [];

    private async Task<(Guid Id, string Subject)> IngestAsync(string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("sender@contoso.test"));
        message.To.Add(MailboxAddress.Parse("reader@example.nl"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "body of " + subject };
        var ingested = await _host.IngestAsync(message);
        _lastLinks = [.. ingested.Recipients.Select(r => r.Link)];
        return (ingested.Id, subject);
    }

    private static async Task<string?> ReadSubjectAsync(IServiceProvider services, Guid id)
    {
        var db = services.GetRequiredService<OmePortalDbContext>();
        var vault = services.GetRequiredService<MessageVault>();
        var message = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == id);

        var render = Assert.IsType<VaultReadResult.Opened>(await vault.OpenBlobAsync(db, message, BlobPurpose.RenderModel, CancellationToken.None));
        string? renderSubject;
        await using (render.Plaintext)
        {
            renderSubject = RenderModelSerializer.Deserialize(render.Plaintext).Subject;
        }

        var content = Assert.IsType<VaultReadResult.Opened>(await vault.OpenBlobAsync(db, message, BlobPurpose.Content, CancellationToken.None));
        await using (content.Plaintext)
        {
            using var mime = await MimeMessage.LoadAsync(content.Plaintext);
            Assert.Equal(renderSubject, mime.Subject);
        }

        return renderSubject;
    }
}

public sealed class KeyLifecycleSqliteTests : KeyLifecycleTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class KeyLifecyclePostgresTests : KeyLifecycleTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
