using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Mime;
using OmePortal.Data;

namespace OmePortal.Web.Access;

/// <summary>A session that <see cref="RecipientSessions.ValidateAsync"/> found live.</summary>
public sealed record LiveSession(RecipientSession Session, bool AddressHasPasskey);

/// <summary>
/// Recipient sessions held on the server (DESIGN §7): 30 minutes idle, 12 hours absolute, a new
/// random identifier at every sign-in, and sign-out that ends the session for every copy of the cookie.
/// </summary>
public sealed class RecipientSessions(OmePortalDbContext db, TimeProvider time)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan AbsoluteTimeout = TimeSpan.FromHours(12);

    // Touching the row on every request would turn each page view into a write; a minute is precise enough.
    private static readonly TimeSpan TouchGranularity = TimeSpan.FromMinutes(1);

    /// <summary>Starts a session for a verified address; returns the cookie value (shown to nobody else, stored hashed).</summary>
    public async Task<string> StartAsync(string address, string method, CancellationToken cancellationToken)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        db.RecipientSessions.Add(new RecipientSession
        {
            Id = Guid.CreateVersion7(now),
            TokenHash = Hash(token),
            // Normalised, as passkeys store it (ValidateAsync compares the two in SQL).
            Address = AddressNormalizer.Normalize(address),
            Method = method,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + AbsoluteTimeout,
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    /// <summary>
    /// The live session for a cookie value, or null when unknown, ended, idle too long or past its
    /// absolute limit; with whether its address has a passkey (the layout offers one until it has: asked
    /// here, in the same query, rather than by a query of its own on every page).
    /// </summary>
    public async Task<LiveSession?> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100)
        {
            return null;
        }

        var found = await BySessionHash.For(db)(db, Hash(token), cancellationToken);
        var session = found?.Session;
        var now = time.GetUtcNow();
        if (session is null || session.EndedAt is not null || session.ExpiresAt <= now || session.LastSeenAt + IdleTimeout <= now)
        {
            return null;
        }

        if (now - session.LastSeenAt >= TouchGranularity)
        {
            session.LastSeenAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        return new LiveSession(session, found!.HasPasskey);
    }

    public async Task EndAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        var hash = Hash(token);
        var now = time.GetUtcNow();
        await db.RecipientSessions.Where(s => s.TokenHash == hash && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
    }

    private static readonly CompiledPerModel<Func<OmePortalDbContext, byte[], CancellationToken, Task<SessionRow?>>> BySessionHash = new(
        static () => EF.CompileAsyncQuery((OmePortalDbContext db, byte[] hash, CancellationToken _) => db.RecipientSessions
            .Where(s => s.TokenHash == hash)
            .Select(s => new SessionRow(s, db.PasskeyCredentials.Any(c => c.Address == s.Address)))
            .FirstOrDefault()));

    private sealed record SessionRow(RecipientSession Session, bool HasPasskey);

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));
}
