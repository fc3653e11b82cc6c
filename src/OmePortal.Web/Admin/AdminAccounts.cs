using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;

namespace OmePortal.Web.Admin;

/// <summary>
/// Creating admin accounts: directly (email + initial password) or through a single-use link (the
/// first-run setup link, or an invitation). Links are random 256-bit tokens of which only the SHA-256 is
/// stored; redeeming one marks it used in the same conditional update that checks it, so two
/// simultaneous uses cannot both succeed.
/// </summary>
public sealed class AdminAccounts(OmePortalDbContext db, UserManager<AdminUser> users, IOptions<AdminOptions> options, TimeProvider time)
{
    public const string SetupPath = "/admin/account/setup";
    public const string AcceptPath = "/admin/account/accept";

    public Task<bool> AnyAdminAsync(CancellationToken cancellationToken) => db.Users.AnyAsync(cancellationToken);

    /// <summary>
    /// Creates an admin (system admin when <paramref name="tenantId"/> is null). Authenticator enrolment follows
    /// at first sign-in; so does a password change when <paramref name="mustChangePassword"/> (someone else chose it).
    /// </summary>
    public async Task<IdentityResult> CreateAsync(Guid? tenantId, string email, string password, bool mustChangePassword = false)
    {
        var user = new AdminUser
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            UserName = email.Trim(),
            Email = email.Trim(),
            EmailConfirmed = true,
            TenantId = tenantId,
            CreatedAt = time.GetUtcNow(),
            MustChangePassword = mustChangePassword,
        };
        return await users.CreateAsync(user, password);
    }

    /// <summary>A new link token (returned once; only its hash is kept).</summary>
    public async Task<string> CreateInvitationAsync(Guid? tenantId, string? email, CancellationToken cancellationToken)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        db.AdminInvitations.Add(new AdminInvitation
        {
            Id = Guid.CreateVersion7(now),
            TokenHash = Hash(token),
            TenantId = tenantId,
            Email = email?.Trim(),
            CreatedAt = now,
            ExpiresAt = now + options.Value.InvitationLifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    /// <summary>The unused, unexpired invitation of <paramref name="token"/>, or null (same answer for unknown, used and expired).</summary>
    public async Task<AdminInvitation?> FindInvitationAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100)
        {
            return null;
        }

        var hash = Hash(token);
        var now = time.GetUtcNow();
        return await db.AdminInvitations.AsNoTracking()
            .FirstOrDefaultAsync(i => i.TokenHash == hash && i.UsedAt == null && i.ExpiresAt > now, cancellationToken);
    }

    /// <summary>
    /// Uses the link once and creates the account it allows. The setup link only works while no admin
    /// exists. Returns null with <paramref name="errors"/> empty when the link is not (or no longer) valid.
    /// </summary>
    public async Task<(AdminInvitation? Invitation, IReadOnlyList<IdentityError> Errors)> RedeemAsync(string token, string email, string password, CancellationToken cancellationToken)
    {
        var invitation = await FindInvitationAsync(token, cancellationToken);
        if (invitation is null || (invitation.TenantId is null && await AnyAdminAsync(cancellationToken)))
        {
            return (null, []);
        }

        // Check the password before spending the link, so a too-short password can be corrected.
        var probe = new AdminUser { UserName = email, Email = email };
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, probe, password);
            if (!check.Succeeded)
            {
                return (invitation, [.. check.Errors]);
            }
        }

        var now = time.GetUtcNow();
        var claimed = await db.AdminInvitations
            .Where(i => i.Id == invitation.Id && i.UsedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.UsedAt, now), cancellationToken);
        if (claimed != 1)
        {
            return (null, []);
        }

        var created = await CreateAsync(invitation.TenantId, invitation.Email ?? email, password);
        return (invitation, [.. created.Errors]);
    }

    /// <summary>Ends every unused setup link (a new one is made at each start while no admin exists).</summary>
    public Task<int> RetireSetupLinksAsync(CancellationToken cancellationToken) =>
        db.AdminInvitations.Where(i => i.TenantId == null && i.Email == null && i.UsedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.ExpiresAt, time.GetUtcNow()), cancellationToken);

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
