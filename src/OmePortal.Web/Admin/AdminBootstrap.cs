using Microsoft.Extensions.Options;
using OmePortal.Web.Hosting;
using OmePortal.Web.Tenancy;

namespace OmePortal.Web.Admin;

/// <summary>
/// At start, while no admin exists: the system admin from <c>OmePortal:Bootstrap:AdminEmail</c> and
/// <c>AdminPassword</c>, or else a fresh one-time setup link (earlier unused links end) in the owner-only file
/// <see cref="SetupLinkFile"/> of the data directory, whose path (never the link) goes to the log.
/// </summary>
public sealed partial class AdminBootstrap(
    AdminAccounts accounts,
    IOptions<BootstrapOptions> bootstrap,
    IOptions<OmePortalOptions> portal,
    IOptions<AdminOptions> admin,
    PublicUrls urls,
    ILogger<AdminBootstrap> logger)
{
    public const string SetupLinkFile = "admin-setup-link.txt";

    public async Task EnsureSystemAdminAsync(CancellationToken cancellationToken)
    {
        var linkFile = portal.Value.ResolveDataPath(SetupLinkFile);
        if (await accounts.AnyAdminAsync(cancellationToken))
        {
            // Its link can no longer be used (it only works while no admin exists): no reason to keep it lying about.
            OwnerOnlyFile.Remove(linkFile);
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

            OwnerOnlyFile.Remove(linkFile);
            LogBootstrapped(options.AdminEmail);
            return;
        }

        await accounts.RetireSetupLinksAsync(cancellationToken);
        var token = await accounts.CreateInvitationAsync(null, null, cancellationToken);
        await OwnerOnlyFile.WriteAsync(linkFile, $"{urls.BaseUrl}{AdminAccounts.SetupPath}?token={token}", cancellationToken);
        LogSetupLinkWritten(linkFile, admin.Value.InvitationLifetime);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "First run: system admin {Email} created from configuration; an authenticator is enrolled at first sign-in.")]
    private partial void LogBootstrapped(string email);

    // The link is a credential: the log names the file, readable only by the portal's user, never the link itself.
    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "No admin exists yet. Create the system admin with the one-time link in {SetupLinkFile} (owner-only; single use, valid for {Lifetime}).")]
    private partial void LogSetupLinkWritten(string setupLinkFile, TimeSpan lifetime);
}
