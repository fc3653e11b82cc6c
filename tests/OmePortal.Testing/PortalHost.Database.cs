using Microsoft.Extensions.DependencyInjection;
using OmePortal.Data;

namespace OmePortal.Testing;

/// <summary>
/// The one way tests reach the host's database: a DI scope per call, so each query gets a fresh
/// <see cref="OmePortalDbContext"/> with the provider, model and interceptors the portal itself uses
/// (no hand-built options that could drift from the app's), and nothing is tracked across calls.
/// </summary>
public sealed partial class PortalHost
{
    /// <summary>Runs <paramref name="query"/> on a fresh context of the host and returns its result.</summary>
    public async Task<T> DbAsync<T>(Func<OmePortalDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }

    /// <summary>Runs <paramref name="change"/> on a fresh context of the host (call SaveChangesAsync inside).</summary>
    public async Task DbAsync(Func<OmePortalDbContext, Task> change)
    {
        await using var scope = Services.CreateAsyncScope();
        await change(scope.ServiceProvider.GetRequiredService<OmePortalDbContext>());
    }

    /// <summary>Runs <paramref name="work"/> with a fresh DI scope of the host (for services beside the context).</summary>
    public async Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    /// <summary>Runs <paramref name="work"/> with a fresh DI scope of the host.</summary>
    public async Task InScopeAsync(Func<IServiceProvider, Task> work)
    {
        await using var scope = Services.CreateAsyncScope();
        await work(scope.ServiceProvider);
    }
}
