using OmePortal.Testing;

namespace OmePortal.Web.Tests;

/// <summary>
/// One portal for every test of a class (an xUnit class fixture), for classes whose tests only add
/// their own rows (own messages, own recipients, own admins) and never change what another test of
/// the class reads: starting a host (Kestrel, migrations, a fresh PostgreSQL database) costs more
/// than most of those tests. Classes that change shared state (tenant settings, limits, the clock,
/// counts of all rows) keep a host per test.
/// <para>Usage: <c>public sealed class FooSqliteTests(FooHost.Sqlite host) : FooTests(host), IClassFixture&lt;FooHost.Sqlite&gt;</c>.</para>
/// </summary>
public abstract class SharedPortalHost : IAsyncLifetime
{
    private PortalHost? _host;

    protected abstract StorageKind Storage { get; }

    /// <summary>Settings for the host (null: the defaults).</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    public PortalHost Host => _host ?? throw new InvalidOperationException("The shared portal has not started.");

    public async Task InitializeAsync() => _host = await new PortalHost(Storage, Settings).StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
