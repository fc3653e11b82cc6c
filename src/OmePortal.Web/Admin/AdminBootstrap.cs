using Microsoft.Extensions.Options;
using OmePortal.Web.Hosting;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin;

/// <summary>
/// At start, while no admin exists: the system admin from <c>OmePortal:Bootstrap:AdminEmail</c> and
/// <c>AdminPassword</c>, or else a fresh one-time setup link in the log (earlier unused links end).
/// </summary>
public sealed partial class AdminBootstrap(AdminAccounts accounts, IOptions<BootstrapOptions> bootstrap, PublicUrls urls, ILogger<AdminBootstrap> logger)
{
    public async Task EnsureSystemAdminAsync(CancellationToken cancellationToken)
    {
        if (await accounts.AnyAdminAsync(cancellationToken))
        {
            return;
        }

        var options = bootstrap.Value;
        if (!string.IsNullOrWhiteSpace(options.AdminEmail) && !string.IsNullOrEmpty(options.AdminPassword))
        {
            var result = await accounts.CreateAsync(null, options.AdminEmail, options.AdminPassword);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(
                    $"{BootstrapOptions.Section}:AdminEmail/AdminPassword could not create the system admin: {string.Join(" ", result.Errors.Select(e => e.Description))}");
            }

            LogBootstrapped(options.AdminEmail);
            return;
        }

        await accounts.RetireSetupLinksAsync(cancellationToken);
        var token = await accounts.CreateInvitationAsync(null, null, cancellationToken);
        LogSetupLink($"{urls.BaseUrl}{AdminAccounts.SetupPath}?token={token}");
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "First run: system admin {Email} created from configuration; an authenticator is enrolled at first sign-in.")]
    private partial void LogBootstrapped(string email);

    // The link is a credential, but only until the first admin exists, and the operator reads the log to get it.
    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "No admin exists yet. Create the system admin with this one-time link (single use, expires): {SetupLink}")]
    private partial void LogSetupLink(string setupLink);
}
