using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Core.Intake;
using OmePortal.Core.Mime;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Admin;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Tests.Admin;

/// <summary>
/// <see cref="TenantData"/>, the one entry point of admin queries: every set it exposes returns the rows
/// of its tenant and never another's, on the real database; and admin code writes no tenant filter of its own.
/// </summary>
public abstract partial class TenantDataTests : IAsyncLifetime
{
    private PortalHost _host = null!;
    private Guid _tenantA;
    private Guid _tenantB;

    /// <summary>A recipient row that names tenant A but hangs off a message of tenant B.</summary>
    private Guid _mismatchedRecipient;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync()
    {
        _host = await new PortalHost(Storage, new Dictionary<string, string?>
        {
            ["OmePortal:Revocation:SweeperEnabled"] = "false",
        }).StartAsync();
        _tenantA = await DbAsync(db => db.Tenants.Where(t => t.Slug == "default").Select(t => t.Id).SingleAsync());
        _tenantB = await AdminClient.CreateTenantAsync(_host, "other", "Other Org");
        await AdminClient.CreateAdminAsync(_host, _tenantA);
        await AdminClient.CreateAdminAsync(_host, _tenantB);
        await AdminClient.CreateAdminAsync(_host, tenantId: null);
        var messageA = await SeedTenantRowsAsync(_tenantA, "a");
        var messageB = await SeedTenantRowsAsync(_tenantB, "b");
        _mismatchedRecipient = await DbAsync(async db =>
        {
            var recipient = Recipient(_tenantA, messageB, "crossed@example.test");
            db.Recipients.Add(recipient);
            await db.SaveChangesAsync();
            return recipient.Id;
        });
        Assert.NotEqual(messageA, messageB);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task EverySet_ReturnsItsTenantsRows_AndNoneOfAnothers()
    {
        var sets = typeof(TenantData).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(IQueryable<>))
            .ToList();

        // A set added to TenantData is picked up here; it must then be seeded above, or the "not empty" check fails.
        Assert.Equal(
            ["Admins", "ApiKeys", "AuditEvents", "BrandTemplates", "Domains", "Messages", "OutboundMails", "RecipientKeySettings", "RecipientKeys", "RecipientTrustAnchors", "Recipients", "Rules", "SigningIdentities", "Tenant", "TenantKeys"],
            sets.Select(p => p.Name).Order(StringComparer.Ordinal));

        foreach (var set in sets)
        {
            var rowType = set.PropertyType.GetGenericArguments()[0];
            var check = typeof(TenantDataTests).GetMethod(nameof(CheckSetAsync), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(rowType);
            await (Task)check.Invoke(this, [set])!;
        }
    }

    [Fact]
    public async Task Recipients_LeaveOutARowWhoseMessageBelongsToAnotherTenant()
    {
        var ofA = await DbAsync(db => db.ForTenant(_tenantA).Recipients.Select(r => r.Id).ToListAsync());
        var ofB = await DbAsync(db => db.ForTenant(_tenantB).Recipients.Select(r => r.Id).ToListAsync());
        Assert.NotEmpty(ofA);
        Assert.NotEmpty(ofB);
        Assert.DoesNotContain(_mismatchedRecipient, ofA);
        Assert.DoesNotContain(_mismatchedRecipient, ofB);
        Assert.True(await DbAsync(db => db.Recipients.AnyAsync(r => r.Id == _mismatchedRecipient)));
    }

    [Fact]
    public async Task BulkChangesThroughASet_TouchOnlyItsTenant()
    {
        var now = DateTimeOffset.UtcNow;
        var changedKeys = await DbAsync(db => db.ForTenant(_tenantA).ApiKeys.ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now)));
        var changedRecipients = await DbAsync(db => db.ForTenant(_tenantA).Recipients.ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, now)));

        Assert.True(changedKeys > 0);
        Assert.Equal(await DbAsync(db => db.ApiKeys.CountAsync(k => k.TenantId == _tenantA)), changedKeys);
        Assert.Equal(0, await DbAsync(db => db.ApiKeys.CountAsync(k => k.TenantId == _tenantB && k.RevokedAt != null)));
        Assert.Equal(1, changedRecipients);
        Assert.Equal(["a@example.test"], await DbAsync(db => db.Recipients.Where(r => r.RevokedAt != null).Select(r => r.Address).ToListAsync()));
    }

    [Fact]
    public void AdminScope_WithoutASignedInAdmin_HasNoData()
    {
        // A page that forgot its policy gets an exception, never an unfiltered context.
        Assert.Throws<InvalidOperationException>(() => new AdminScope().Data);
    }

    /// <summary>
    /// Admin pages and services (and the rule store) go through <see cref="TenantData"/>; a hand-written
    /// tenant filter there is a query that bypassed it. Comparing with null (the system admin's own setup
    /// link has no tenant) is not a tenant filter.
    /// </summary>
    [Fact]
    public void AdminCode_WritesNoTenantFilterOfItsOwn()
    {
        var web = Path.Combine(TestEnvironment.RepositoryRoot, "src", "OmePortal.Web");
        var files = Directory.EnumerateFiles(Path.Combine(web, "Admin"), "*.cs", SearchOption.AllDirectories)
            .Append(Path.Combine(web, "Rules", "RuleStore.cs"))
            .Where(f => Path.GetFileName(f) != "TenantData.cs")
            .ToList();
        Assert.Contains(files, f => f.EndsWith(Path.Combine("Trace", "MessageTrace.cs"), StringComparison.Ordinal));
        var offending = files
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(web, f), Line: i + 1, Text: line.Trim())))
            .Where(l => HandWrittenTenantFilter().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text}")
            .ToList();
        Assert.True(offending.Count == 0, "Tenant filters outside TenantData:\n" + string.Join("\n", offending));
    }

    private async Task CheckSetAsync<T>(PropertyInfo set) where T : class
    {
        foreach (var (tenant, other) in new[] { (_tenantA, _tenantB), (_tenantB, _tenantA) })
        {
            var rows = await DbAsync(db => ((IQueryable<T>)set.GetValue(db.ForTenant(tenant))!).AsNoTracking().ToListAsync());
            Assert.True(rows.Count > 0, $"{set.Name} of a seeded tenant came back empty");
            Assert.All(rows, row => Assert.True(OwnerOf(row) == tenant, $"{set.Name} returned a row of {OwnerOf(row)} for {tenant}"));

            // The other tenant's rows exist in the same table, so the emptiness above is the filter's doing.
            var all = await DbAsync(db => db.Set<T>().AsNoTracking().ToListAsync());
            Assert.Contains(all, row => OwnerOf(row) == other);
        }
    }

    private static Guid? OwnerOf(object row) => row switch
    {
        Tenant tenant => tenant.Id,
        _ => row.GetType().GetProperty("TenantId")?.GetValue(row) as Guid?
            ?? throw new InvalidOperationException(row.GetType().Name + " has no TenantId"),
    };

    /// <summary>A message with a recipient, its notification mail, an audit event, a rule, a domain and an API key.</summary>
    private Task<Guid> SeedTenantRowsAsync(Guid tenantId, string tag) => DbAsync(async db =>
    {
        var now = DateTimeOffset.UtcNow;
        var template = await db.BrandTemplates.Where(t => t.TenantId == tenantId).Select(t => t.Id).FirstAsync();
        var message = new MessageRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Source = IngestSource.Api,
            Protection = ProtectionLevel.EncryptOnly,
            TemplateId = template,
            SenderAddress = $"sender-{tag}@example.test",
            ReceivedAt = now,
            SizeBytes = 10,
            KeyVersion = 1,
            WrappedKey = [1, 2, 3],
            ContentBlob = "content-" + tag,
            RenderBlob = "render-" + tag,
        };
        message.ConversationId = message.Id;
        var recipient = Recipient(tenantId, message.Id, $"{tag}@example.test");
        db.Messages.Add(message);
        db.Recipients.Add(recipient);
        db.OutboundMails.Add(new OutboundMailRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            MessageId = message.Id,
            RecipientId = recipient.Id,
            Kind = OutboundMailKind.Notification,
            ToAddress = recipient.Address,
            Status = OutboundMailStatus.Sent,
            CreatedAt = now,
            NextAttemptAt = now,
        });
        db.AuditEvents.Add(new AuditEvent { TenantId = tenantId, At = now, Kind = AuditEventKind.MessageReceived, Actor = "system", MessageId = message.Id });
        db.MailFlowRules.Add(new MailFlowRuleRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Name = "Rule " + tag,
            Priority = 10,
            ConditionsJson = "{}",
            ActionJson = "{}",
        });
        db.TenantDomains.Add(new TenantDomainRecord { TenantId = tenantId, Domain = tag + ".example.test" });
        db.ApiKeys.Add(new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Name = "Key " + tag,
            Prefix = "omp_" + tag,
            KeyHash = System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()),
            CreatedAt = now,
        });
        db.RecipientKeys.Add(new RecipientKeyRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Address = tag + "@example.test",
            Fingerprint = "FP" + tag.ToUpperInvariant(),
            PublicKey = [1],
            Description = tag,
            AddedAt = now,
            AddedBy = "test",
        });
        db.RecipientTrustAnchors.Add(new RecipientTrustAnchorRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Fingerprint = "CA" + tag.ToUpperInvariant(),
            Subject = "CN=" + tag,
            Certificate = [1],
            NotAfter = now,
            AddedAt = now,
            AddedBy = "test",
        });
        db.RecipientKeySettings.Add(new RecipientKeySettingsRecord { TenantId = tenantId });
        db.SigningIdentities.Add(new SigningIdentityRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Fingerprint = "SIG" + tag.ToUpperInvariant(),
            Description = tag,
            PublicPart = [1],
            KeyVersion = 1,
            WrappedKey = [1],
            SealedSecret = [1],
            AddedAt = now,
            AddedBy = "test",
        });
        await db.SaveChangesAsync();
        return message.Id;
    });

    private static RecipientRecord Recipient(Guid tenantId, Guid messageId, string address) => new()
    {
        Id = Guid.CreateVersion7(),
        MessageId = messageId,
        TenantId = tenantId,
        Address = address,
        Kind = RecipientKind.To,
        TokenHash = System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()),
    };

    private async Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }

    /// <summary><c>x.TenantId == something</c>, except a comparison with null.</summary>
    [GeneratedRegex(@"\.TenantId\s*==(?!\s*null\b)")]
    private static partial Regex HandWrittenTenantFilter();
}

public sealed class TenantDataSqliteTests : TenantDataTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class TenantDataPostgresTests : TenantDataTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
