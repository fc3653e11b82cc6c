using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OmePortal.Data;
using OtpNet;

namespace OmePortal.Web.Admin;

/// <summary>
/// Identity's authenticator check with one addition: a code is accepted once. Identity's own provider
/// accepts a code again for as long as its time window lasts, so a code seen over a shoulder or
/// phished in real time signs in a second time; here the matched time step must be later than the
/// last one accepted for the account (RFC 6238 §5.2), claimed in one conditional write so two
/// submissions of the same code cannot both pass. One step either side is allowed for clock drift.
/// </summary>
public sealed class OneTimeAuthenticatorTokenProvider(OmePortalDbContext db, TimeProvider time) : IUserTwoFactorTokenProvider<AdminUser>
{
    private static readonly VerificationWindow ClockDrift = new(previous: 1, future: 1);

    public Task<string> GenerateAsync(string purpose, UserManager<AdminUser> manager, AdminUser user) =>
        Task.FromResult(string.Empty); // the code comes from the admin's app, never from the portal

    public async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<AdminUser> manager, AdminUser user) =>
        !string.IsNullOrWhiteSpace(await manager.GetAuthenticatorKeyAsync(user));

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<AdminUser> manager, AdminUser user)
    {
        var code = token.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return false;
        }

        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrWhiteSpace(key))
        {
            return false;
        }

        var totp = new Totp(Base32Encoding.ToBytes(key));
        var now = time.GetUtcNow();
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, ClockDrift) && await ClaimAsync(user.Id, step, now);
    }

    /// <summary>True when <paramref name="step"/> is later than every step accepted before (and is now the last).</summary>
    private async Task<bool> ClaimAsync(Guid userId, long step, DateTimeOffset now)
    {
        var advanced = await db.AdminAuthenticatorUses
            .Where(u => u.AdminUserId == userId && u.LastTimeStep < step)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastTimeStep, step).SetProperty(u => u.UsedAt, now));
        if (advanced == 1)
        {
            return true;
        }

        if (await db.AdminAuthenticatorUses.AnyAsync(u => u.AdminUserId == userId))
        {
            return false; // this step, or a later one, was used already
        }

        // The account's first code: the key decides between two first submissions racing here.
        var first = new AdminAuthenticatorUse { AdminUserId = userId, LastTimeStep = step, UsedAt = now };
        db.AdminAuthenticatorUses.Add(first);
        try
        {
            await db.SaveChangesAsync();
            return true;
        }
        catch (DbUpdateException)
        {
            return false;
        }
        finally
        {
            db.Entry(first).State = EntityState.Detached;
        }
    }
}
