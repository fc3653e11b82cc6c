using Microsoft.Extensions.DependencyInjection;
using OmePortal.Testing;
using OmePortal.Web.Revocation;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Notifications;

/// <summary>
/// Pickup delivery keeps working credentials (links, passcodes) in files: those are the portal user's alone and
/// are removed after <c>OmePortal:Notifications:PickupRetention</c> by the expiry sweeper.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public abstract class PickupDeliveryTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    protected abstract StorageKind Storage { get; }

    private static Dictionary<string, string?> Sweeper(bool enabled) => new()
    {
        ["OmePortal:Revocation:SweeperEnabled"] = enabled ? "true" : "false",
        ["OmePortal:Revocation:SweepInterval"] = "00:00:01",
    };

    [Fact]
    public async Task PickupMail_IsWrittenOwnerOnly_InAnOwnerOnlyDirectory()
    {
        await using var host = await new PortalHost(Storage, Sweeper(enabled: false)).StartAsync();
        await IngestAsync(host, SimpleMessage("eigen@example.nl", "Owner only"));

        var file = Assert.Single(await host.WaitForOutboxAsync(1));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(file));
        Assert.Equal(OwnerReadWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(host.OutboxDirectory));
    }

    [Fact]
    public async Task Sweep_RemovesPickupMailOlderThanTheRetention_AndNothingElse()
    {
        var clock = new ManualTimeProvider();
        await using var host = await new PortalHost(Storage, Sweeper(enabled: false)) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(clock) }.StartAsync();
        var sweeper = host.Services.GetRequiredService<ExpirySweeper>();

        await IngestAsync(host, SimpleMessage("oud@example.nl", "Old"));
        var old = Assert.Single(await host.WaitForOutboxAsync(1));
        clock.Advance(TimeSpan.FromDays(4));
        await IngestAsync(host, SimpleMessage("nieuw@example.nl", "New"));
        var young = Assert.Single(await host.WaitForOutboxAsync(2), f => f != old);

        // What a crash mid-write leaves, and a file that is not the portal's mail.
        var stale = Path.Combine(host.OutboxDirectory, ".20200101-000000-000-0.eml.tmp");
        var other = Path.Combine(host.OutboxDirectory, "README.txt");
        await File.WriteAllTextAsync(stale, "partial");
        await File.WriteAllTextAsync(other, "not mail");
        File.SetLastWriteTimeUtc(stale, clock.GetUtcNow().UtcDateTime.AddDays(-30));
        File.SetLastWriteTimeUtc(other, clock.GetUtcNow().UtcDateTime.AddDays(-30));

        Assert.Equal(1, sweeper.SweepPickupDirectory());
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(old), "four days old: kept");

        clock.Advance(TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, sweeper.SweepPickupDirectory());
        Assert.False(File.Exists(old), "seven days old: removed");
        Assert.True(File.Exists(young), "three days old: kept");

        clock.Advance(TimeSpan.FromDays(4));
        Assert.Equal(1, sweeper.SweepPickupDirectory());
        Assert.False(File.Exists(young));
        Assert.True(File.Exists(other), "only mail files are the portal's to remove");
    }

    [Fact]
    public async Task HostedSweeper_RemovesExpiredPickupMail_OnItsSchedule()
    {
        var clock = new ManualTimeProvider();
        var settings = Sweeper(enabled: true);
        settings["OmePortal:Notifications:PickupRetention"] = "1.00:00:00";
        await using var host = await new PortalHost(Storage, settings) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(clock) }.StartAsync();
        await IngestAsync(host, SimpleMessage("rooster@example.nl", "Swept on schedule"));
        var file = Assert.Single(await host.WaitForOutboxAsync(1));

        // Runs, but the mail is young.
        await Task.Delay(1500);
        Assert.True(File.Exists(file));

        clock.Advance(TimeSpan.FromDays(1));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (File.Exists(file) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.False(File.Exists(file));
    }
}

public sealed class PickupDeliverySqliteTests : PickupDeliveryTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class PickupDeliveryPostgresTests : PickupDeliveryTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}

/// <summary>What the start accepts: Pickup outside Development only when allowed, and a sane retention.</summary>
public sealed class PickupDeliveryOptionsTests
{
    private static Dictionary<string, string?> Deployed(string environment) => new()
    {
        ["environment"] = environment,
        ["OmePortal:Vault:AllowKeyInDataDirectory"] = "true",
    };

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task PickupOutsideDevelopment_RefusesToStart_SayingWhatToSet(string environment)
    {
        await using var host = new PortalHost(StorageKind.Sqlite, Deployed(environment));
        var error = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains($"OmePortal:Notifications:Delivery is Pickup in the {environment} environment", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("OmePortal:Notifications:AllowPickupInProduction=true", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PickupInProduction_StartsWhenAllowed()
    {
        var settings = Deployed("Production");
        settings["OmePortal:Notifications:AllowPickupInProduction"] = "true";
        await using var host = await new PortalHost(StorageKind.Sqlite, settings).StartAsync();
        using var client = host.CreateHttpClient();
        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task SmartHostInProduction_NeedsNoAllowance()
    {
        var settings = Deployed("Production");
        settings["OmePortal:Notifications:Delivery"] = "SmartHost";
        settings["OmePortal:Notifications:SmartHost:Host"] = "127.0.0.1";
        await using var host = await new PortalHost(StorageKind.Sqlite, settings).StartAsync();
        using var client = host.CreateHttpClient();
        Assert.True((await client.GetAsync("/healthz")).IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("00:59:59")]
    [InlineData("366.00:00:00")]
    public async Task PickupRetention_OutOfRange_StopsTheStart(string retention)
    {
        await using var host = new PortalHost(StorageKind.Sqlite, new Dictionary<string, string?> { ["OmePortal:Notifications:PickupRetention"] = retention });
        var error = await Assert.ThrowsAnyAsync<Exception>(host.StartAsync);
        Assert.Contains("OmePortal:Notifications:PickupRetention must be between", error.ToString(), StringComparison.Ordinal);
    }
}
