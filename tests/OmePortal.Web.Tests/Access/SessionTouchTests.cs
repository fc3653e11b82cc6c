using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OmePortal.Testing;
using OmePortal.Web.Tests.Reading;
using static OmePortal.Web.Tests.Reading.ReadingTestSupport;

namespace OmePortal.Web.Tests.Access;

/// <summary>
/// A recipient session stays alive while it is used (30 minutes idle), recorded at most once a minute:
/// a burst of requests of one session, due for that record, are all served and leave it set once.
/// </summary>
public abstract class SessionTouchTests : IAsyncLifetime
{
    private const string Reader = "touch-reader@example.nl";
    private readonly ManualTimeProvider _clock = new();
    private PortalHost _host = null!;

    protected abstract StorageKind Storage { get; }

    public async Task InitializeAsync() =>
        _host = await new PortalHost(Storage, Settings) { ServiceOverrides = s => s.AddSingleton<TimeProvider>(_clock) }.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ABurstOfRequests_DueForTheRecord_IsServed_AndKeepsTheSessionAlive()
    {
        var message = await IngestAsync(_host, SimpleMessage(Reader, "touch", html: "<p>touch</p>"));
        using var reader = await RecipientBrowserlessClient.SignInFromLinkAsync(_host, message.Link);
        var path = $"/messages/{message.Id}";
        var started = await LastSeenAsync();

        // Within the minute: no record is due, nothing is written.
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader.Http, path)).Status);
        Assert.Equal(started, await LastSeenAsync());

        // 25 minutes on, a page with its frames at once: all served, the session recorded as seen now.
        _clock.Advance(TimeSpan.FromMinutes(25));
        var burst = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => GetAsync(reader.Http, i % 2 == 0 ? path : $"{path}/body")));
        Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(_clock.GetUtcNow(), await LastSeenAsync());

        // Another 25 minutes (50 since sign-in, 25 since last seen): still signed in, because it was recorded.
        _clock.Advance(TimeSpan.FromMinutes(25));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(reader.Http, path)).Status);

        // Idle past 30 minutes: refused.
        _clock.Advance(TimeSpan.FromMinutes(31));
        var (status, _, _) = await GetAsync(reader.Http, path);
        Assert.NotEqual(HttpStatusCode.OK, status);
    }

    private Task<DateTimeOffset> LastSeenAsync() =>
        DbAsync(_host, db => db.RecipientSessions.Where(s => s.Address == Reader && s.EndedAt == null).Select(s => s.LastSeenAt).SingleAsync());
}

public sealed class SessionTouchSqliteTests : SessionTouchTests
{
    protected override StorageKind Storage => StorageKind.Sqlite;
}

public sealed class SessionTouchPostgresTests : SessionTouchTests
{
    protected override StorageKind Storage => StorageKind.Postgres;
}
