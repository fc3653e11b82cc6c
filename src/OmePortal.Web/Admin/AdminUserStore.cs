using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using OmePortal.Data;

namespace OmePortal.Web.Admin;

/// <summary>
/// Identity's EF store with the second factors kept out of plain sight. Identity writes the
/// authenticator key (the TOTP shared secret) and the recovery codes into <c>AdminUserTokens</c> as
/// they are, so whoever reads the database (a backup, a replica, a dump) could produce codes for every
/// admin. Here the authenticator key is encrypted with Data Protection (its key ring is kept apart from
/// the rows, docs/ARCHITECTURE.md §4), and recovery codes are stored as salted PBKDF2 hashes: they are
/// only ever compared, never shown again.
/// </summary>
/// <remarks>
/// Rows written before this store (plain key, Identity's <c>code;code;…</c> list) are still read, and
/// <see cref="UpgradeLegacySecretsAsync"/> rewrites them at start-up.
/// </remarks>
public sealed class AdminUserStore(OmePortalDbContext context, IDataProtectionProvider dataProtection, IdentityErrorDescriber? describer = null)
    : UserStore<AdminUser, IdentityRole<Guid>, OmePortalDbContext, Guid>(context, describer)
{
    /// <summary>Identity's names for the rows it keeps its own tokens in.</summary>
    public const string InternalLoginProvider = "[AspNetUserStore]";
    public const string AuthenticatorKeyName = "AuthenticatorKey";
    public const string RecoveryCodesName = "RecoveryCodes";

    private const string ProtectedKeyPrefix = "dp1:";
    private const string HashedCodesPrefix = "h1:";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    // Recovery codes are ~50 random bits (Identity's generator); a slow hash with a salt per account
    // puts a dictionary of all codes out of reach. One derivation per attempt: the salt is per account.
    private const int Pbkdf2Iterations = 20_000;

    private readonly IDataProtector keyProtector = dataProtection.CreateProtector("OmePortal.Admin.AuthenticatorKey.v1");

    public override Task SetAuthenticatorKeyAsync(AdminUser user, string key, CancellationToken cancellationToken) =>
        SetTokenAsync(user, InternalLoginProvider, AuthenticatorKeyName, ProtectedKeyPrefix + keyProtector.Protect(key), cancellationToken);

    public override async Task<string?> GetAuthenticatorKeyAsync(AdminUser user, CancellationToken cancellationToken)
    {
        var stored = await GetTokenAsync(user, InternalLoginProvider, AuthenticatorKeyName, cancellationToken);
        return stored is null ? null : UnprotectKey(stored);
    }

    public override Task ReplaceCodesAsync(AdminUser user, IEnumerable<string> recoveryCodes, CancellationToken cancellationToken) =>
        SetTokenAsync(user, InternalLoginProvider, RecoveryCodesName, HashCodes(recoveryCodes), cancellationToken);

    public override async Task<bool> RedeemCodeAsync(AdminUser user, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        var stored = await GetTokenAsync(user, InternalLoginProvider, RecoveryCodesName, cancellationToken) ?? string.Empty;
        var set = HashedCodeSet.Parse(stored);
        var hash = set.Hash(code);
        var index = set.IndexOf(hash);
        if (index < 0)
        {
            return false;
        }

        await SetTokenAsync(user, InternalLoginProvider, RecoveryCodesName, set.Without(index).ToString(), cancellationToken);
        return true;
    }

    public override async Task<int> CountCodesAsync(AdminUser user, CancellationToken cancellationToken)
    {
        var stored = await GetTokenAsync(user, InternalLoginProvider, RecoveryCodesName, cancellationToken) ?? string.Empty;
        return HashedCodeSet.Parse(stored).Count;
    }

    /// <summary>
    /// Rewrites authenticator keys and recovery codes stored in plain text by an earlier version.
    /// Returns how many rows changed. Safe to run on every start and on several nodes (each row is
    /// recognised by its prefix; a row already rewritten is left alone).
    /// </summary>
    public async Task<int> UpgradeLegacySecretsAsync(CancellationToken cancellationToken)
    {
        var rows = Context.Set<IdentityUserToken<Guid>>()
            .Where(t => t.LoginProvider == InternalLoginProvider && (t.Name == AuthenticatorKeyName || t.Name == RecoveryCodesName));
        var changed = 0;
        foreach (var row in rows)
        {
            if (row.Value is null)
            {
                continue;
            }

            if (row.Name == AuthenticatorKeyName && !row.Value.StartsWith(ProtectedKeyPrefix, StringComparison.Ordinal))
            {
                row.Value = ProtectedKeyPrefix + keyProtector.Protect(row.Value);
                changed++;
            }
            else if (row.Name == RecoveryCodesName && !row.Value.StartsWith(HashedCodesPrefix, StringComparison.Ordinal))
            {
                row.Value = HashCodes(row.Value.Split(';', StringSplitOptions.RemoveEmptyEntries));
                changed++;
            }
        }

        if (changed > 0)
        {
            await Context.SaveChangesAsync(cancellationToken);
        }

        return changed;
    }

    private string UnprotectKey(string stored) =>
        stored.StartsWith(ProtectedKeyPrefix, StringComparison.Ordinal)
            ? keyProtector.Unprotect(stored[ProtectedKeyPrefix.Length..])
            : stored; // written before this store; rewritten by UpgradeLegacySecretsAsync

    private static string HashCodes(IEnumerable<string> codes)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new HashedCodeSet(salt, [.. codes.Select(c => HashedCodeSet.Derive(c, salt))], Legacy: null).ToString();
    }

    /// <summary>
    /// The stored form <c>h1:&lt;salt&gt;:&lt;hash&gt;,&lt;hash&gt;,…</c> (base64), or Identity's plain
    /// <c>code;code;…</c> from before (then <see cref="Legacy"/> holds the codes and hashing is the identity).
    /// </summary>
    private sealed record HashedCodeSet(byte[] Salt, IReadOnlyList<byte[]> Hashes, IReadOnlyList<string>? Legacy)
    {
        public int Count => Legacy?.Count ?? Hashes.Count;

        public static HashedCodeSet Parse(string stored)
        {
            if (!stored.StartsWith(HashedCodesPrefix, StringComparison.Ordinal))
            {
                return new HashedCodeSet([], [], stored.Split(';', StringSplitOptions.RemoveEmptyEntries));
            }

            var parts = stored[HashedCodesPrefix.Length..].Split(':');
            var hashes = parts.Length > 1 && parts[1].Length > 0 ? parts[1].Split(',').Select(Convert.FromBase64String).ToArray() : [];
            return new HashedCodeSet(Convert.FromBase64String(parts[0]), hashes, Legacy: null);
        }

        public static byte[] Derive(string code, byte[] salt) =>
            Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(code), salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, HashBytes);

        public byte[] Hash(string code) => Legacy is null ? Derive(code, Salt) : Encoding.UTF8.GetBytes(code);

        public int IndexOf(byte[] hash)
        {
            // Compares with every entry in fixed time, so the position of a match does not show.
            var found = -1;
            var candidates = Legacy is null ? Hashes : [.. Legacy.Select(Encoding.UTF8.GetBytes)];
            for (var i = 0; i < candidates.Count; i++)
            {
                if (CryptographicOperations.FixedTimeEquals(candidates[i], hash) && found < 0)
                {
                    found = i;
                }
            }

            return found;
        }

        public HashedCodeSet Without(int index)
        {
            if (Legacy is not null)
            {
                // A legacy list loses the code and is hashed from here on.
                var rest = Legacy.Where((_, i) => i != index).ToArray();
                var salt = RandomNumberGenerator.GetBytes(SaltBytes);
                return new HashedCodeSet(salt, [.. rest.Select(c => Derive(c, salt))], Legacy: null);
            }

            return this with { Hashes = [.. Hashes.Where((_, i) => i != index)] };
        }

        public override string ToString() =>
            HashedCodesPrefix + Convert.ToBase64String(Salt) + ":" + string.Join(',', Hashes.Select(Convert.ToBase64String));
    }
}
