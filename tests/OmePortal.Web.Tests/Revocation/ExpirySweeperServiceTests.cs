using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;
using OmePortal.Testing;
using OmePortal.Web.Tests.Reading;
using static OmePortal.Web.Tests.Revocation.RevocationTestSupport;

namespace OmePortal.Web.Tests.Revocation;

/// <summary>The sweeper as the hosted service it is: it runs on its own at the configured interval, and a bad interval stops the start.</summary>
public abstract class ExpirySweeperServiceTests
{
    protected abstract StorageKind Storage { get; }

    [Fact]
    public async Task HostedSweeper_ShredsAnExpiredMessage_WithoutBeingAsked()
    {
        var clock = new ManualTimeProvider();
        await using var host = await new PortalHost(Storage, Settings(sweeper: true, interval: "00:00:01")) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(clock) }.StartAsync();
        var message = await ReadingTestSupport.IngestAsync(host, PolicyTo("swept@example.nl"), "?expiresInDays=1");
        var blob = (await MessageAsync(host, message.Id)).ContentBlob;

        // Runs, but finds nothing due yet.
        await Task.Delay(1500);
        Assert.NotNull((await MessageAsync(host, message.Id)).WrappedKey);

        clock.Advance(TimeSpan.FromDays(1));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await MessageAsync(host, message.Id)).WrappedKey is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Null((await MessageAsync(host, message.Id)).WrappedKey);
        Assert.False(await BlobExistsAsync(host, blob));
        Assert.Contains(await AuditAsync(host, message.Id), e => e.Kind == AuditEventKind.MessageExpired && e.Actor == "system");
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("2.00:00:00")]
    public async Task SweepInterval_OutOfRange_StopsTheStart(string interval)
    {
        await using var host = new PortalHost(Storage, Settings(sweeper: true, interval: interval));
        var error = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("SweepInterval", error.ToString(), StringComparison.Ordinal);
    }
}

public sealed class ExpirySweeperServiceSqliteTests : ExpirySweeperServiceTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class ExpirySweeperServicePostgresTests : ExpirySweeperServiceTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

public sealed class ExpirySweeperServicePostgresAzureBlobTests : ExpirySweeperServiceTests
{
    protected override StorageKind Storage => StorageKind.PostgresAzureBlob;
}
