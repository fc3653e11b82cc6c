using Microsoft.AspNetCore.Identity;
using OmePortal.Data;

namespace OmePortal.Web.Admin;

/// <summary>
/// At start-up, rewrites second factors that an earlier version stored in plain text (see
/// <see cref="AdminUserStore"/>). Runs after the database is migrated (hosted services start after
/// the portal's initialisation).
/// </summary>
public sealed partial class AdminSecretsUpgrade(IServiceScopeFactory scopes, ILogger<AdminSecretsUpgrade> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = (AdminUserStore)scope.ServiceProvider.GetRequiredService<IUserStore<AdminUser>>();
        var changed = await store.UpgradeLegacySecretsAsync(cancellationToken);
        if (changed > 0)
        {
            LogUpgraded(changed);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2601, Level = LogLevel.Information, Message = "Encrypted or hashed {Count} admin second-factor rows stored in plain text by an earlier version.")]
    private partial void LogUpgraded(int count);
}
